using System.Collections;
using System.Numerics;
using System.Text.Json;
using CsCheck;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// Property-based checks over hostile attribute objects (throwing getters, runtime objects, exotic and huge values):
/// whatever is passed, only <see cref="GrowlyticsValidationException"/> reaches the caller, and every accepted call
/// produces valid JSON.
/// </summary>
public sealed class AttributeObjectFuzzTests
{
    private const int Iterations = 400;

    private static readonly Gen<object?> Values = Gen.OneOf<object?>(
        Gen.Bool.Select(_ => (object?)null),
        Gen.Int.Select(x => (object?)x),
        Gen.Double.Select(x => (object?)x),
        Gen.Float.Select(x => (object?)x),
        Gen.Decimal.Select(x => (object?)x),
        Gen.Bool.Select(x => (object?)x),
        Gen.Char.Select(x => (object?)x),
        Gen.String.Select(x => (object?)x),
        Gen.Int[0, 600].Select(n => (object?)new string('x', n)),
        Gen.Select(Gen.Int[1, 1100], Gen.Bool, (digits, negative) => (object?)(BigInteger.Pow(10, digits - 1) * (negative ? -1 : 1))),
        Gen.Int[990, 1010].Select(digits => (object?)(BigInteger.Pow(10, digits) - 1)),
        Gen.Select(Gen.ULong, Gen.ULong, (hi, lo) => (object?)new UInt128(hi, lo)),
        Gen.DateTime.Select(x => (object?)x),
        Gen.OneOfConst<object?>(
            typeof(string), typeof(int*), new Action(() => { }), Task.CompletedTask, new object(), new[] { 1, 2 },
            Guid.Empty, TimeSpan.Zero, DayOfWeek.Friday, double.NaN, float.PositiveInfinity, Half.NaN,
            new Uri("https://example.com/?token=abc"), new Dictionary<string, object?>(), IntPtr.Zero,
            "not-an-email", "12", BigInteger.Pow(10, 100_000)));

    private static readonly Gen<string> Names = Gen.OneOf(
        Gen.String[Gen.Char.AlphaNumeric, 1, 20],
        Gen.OneOfConst("email", "EMAIL", "mobile", "name", "", "bad\nname", new string('n', 130)));

    private static readonly Gen<object> AttributeObjects = Gen.OneOf<object>(
        Gen.Select(Values, Values, Values, (a, b, c) => (object)new Bag { A = a, B = b, C = c }),
        Gen.Select(Values, Gen.Int[0, 4], (a, kind) => (object)new ThrowingBag(a, kind)),
        Gen.Select(Names, Values).Array[0, 8].Select(pairs =>
        {
            var dictionary = new Dictionary<string, object?>();
            foreach (var (name, value) in pairs)
            {
                dictionary[name] = value;
            }

            return (object)dictionary;
        }),
        Gen.Select(Names, Values).Array[0, 4].Select(pairs =>
        {
            var table = new Hashtable();
            foreach (var (name, value) in pairs)
            {
                table[name.Length % 3 == 0 ? name.Length : name] = value;
            }

            return (object)table;
        }),
        Values.Select(v => v ?? new object()),
        Gen.Const<object>(new Empty()));

    [Fact]
    public void Push_HostileAttributeObjects_OnlyValidationExceptionsAndValidJson()
    {
        using var harness = new CallerHarness();

        AttributeObjects.Sample(attributes =>
        {
            Check(harness, () => harness.User.Push(attributes));
            Check(harness, () => PushGeneric(harness.User, attributes));
            Check(harness, () => harness.User.Identify("u-1", attributes));
            harness.User.Logout();
            harness.Drain();
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void Push_HostileAttributeObjectsWithDropHandling_NeverThrow()
    {
        // The same calls on a client that throws tell which are invalid: under Drop each of those returns quietly, is
        // counted once and queues nothing, and every valid one queues what it queues under Throw.
        using var harness = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);
        using var throwing = new CallerHarness();
        var invalid = 0L;

        AttributeObjects.Sample(attributes =>
        {
            Compare(() => harness.User.Push(attributes), () => throwing.User.Push(attributes));
            Compare(() => PushGeneric(harness.User, attributes), () => PushGeneric(throwing.User, attributes));
        }, iter: Iterations, threads: 1);

        invalid.Should().BePositive("the generator makes invalid calls too");
        harness.Client.Statistics.InvalidInputs.Should().Be(invalid);

        void Compare(Action dropCall, Action throwCall)
        {
            var threw = false;
            try
            {
                throwCall();
            }
            catch (GrowlyticsValidationException)
            {
                threw = true;
            }

            var before = harness.Client.Statistics.InvalidInputs;
            dropCall();
            var dropped = harness.Drain();
            var expected = throwing.Drain();
            harness.Client.Statistics.InvalidInputs.Should().Be(before + (threw ? 1 : 0), "a call is counted invalid exactly when it would have thrown");
            dropped.Select(Shape).Should().Equal(expected.Select(Shape), "a dropped call queues nothing, a valid one what it queues under Throw");
            foreach (var message in dropped)
            {
                using var document = JsonDocument.Parse(CallerHarness.ToJson(message));
            }

            invalid += threw ? 1 : 0;
        }
    }

    private static string Shape(UserMessage message) =>
        message.Type + " " + string.Join(",", message.Attributes.Select(a => a.Name + ":" + a.Kind));

    private static void Check(CallerHarness harness, Action call)
    {
        try
        {
            call();
        }
        catch (GrowlyticsValidationException)
        {
            harness.Drain().Should().BeEmpty("an invalid call queues nothing");
            return;
        }

        foreach (var message in harness.Drain())
        {
            var json = CallerHarness.ToJson(message);
            using var document = JsonDocument.Parse(json);
            json.Length.Should().BeLessThan(1_000_000, "numbers and strings are bounded at the call");
            foreach (var attribute in document.RootElement.TryGetProperty("attributes", out var list) ? list.EnumerateArray() : default)
            {
                attribute.GetProperty("type").GetString().Should().BeOneOf("string", "number", "boolean", "date");
            }
        }
    }

    // The static type decides the overload: these bind to Push<T> with T the runtime shape.
    private static void PushGeneric(GrowlyticsUser user, object attributes)
    {
        switch (attributes)
        {
            case Bag bag:
                user.Push(bag);
                break;
            case ThrowingBag throwing:
                user.Push(throwing);
                break;
            case Dictionary<string, object?> dictionary:
                user.Push(dictionary);
                break;
            case Hashtable table:
                user.Push(table);
                break;
            case Empty empty:
                user.Push(empty);
                break;
            default:
                user.Push<object>(attributes);
                break;
        }
    }

    private sealed class Bag
    {
        public object? A { get; init; }

        public object? B { get; init; }

        public object? C { get; init; }
    }

    private sealed class ThrowingBag(object? value, int kind)
    {
        public object? Value => value;

        public object? Broken => kind switch
        {
            0 => throw new InvalidOperationException("secret"),
            1 => throw new NullReferenceException(),
            2 => throw new NotSupportedException(),
            3 => throw new TargetInvocationExceptionLike(),
            _ => throw new StackGuardLike(),
        };
    }

    private sealed class Empty;

    private sealed class TargetInvocationExceptionLike : Exception;

    private sealed class StackGuardLike : ArithmeticException;
}
