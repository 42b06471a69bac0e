using System.Globalization;
using System.Numerics;
using System.Text.Json;
using CsCheck;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// Property-based checks with CsCheck: random valid attribute sets serialize to JSON that reads back to every value;
/// random sets with one broken attribute are rejected, name that attribute and queue nothing.
/// </summary>
public sealed class AttributePropertyTests
{
    private const int Iterations = 300;
    private const string NameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. üé東";

    private static readonly Gen<char> AnyCharButSurrogates = Gen.Char.Select(c => char.IsSurrogate(c) ? 'x' : c);

    private static readonly Gen<string> Strings = Gen.OneOf(
        AnyCharButSurrogates.Array[0, 512].Select(a => new string(a)),
        Gen.Char["ab\"\\\n\t\u0001é"].Array[0, 40].Select(a => new string(a)),
        Gen.Int[0, 256].Select(n => string.Concat(Enumerable.Repeat("😀", n))));

    private static readonly Gen<object> ValidValues = Gen.OneOf<object>(
        Gen.Int.Select(x => (object)x),
        Gen.Long.Select(x => (object)x),
        Gen.ULong.Select(x => (object)x),
        Gen.Short.Select(x => (object)x),
        Gen.Byte.Select(x => (object)x),
        Gen.SByte.Select(x => (object)x),
        Gen.UInt.Select(x => (object)x),
        Gen.UShort.Select(x => (object)x),
        Gen.Long.Select(bits => BitConverter.Int64BitsToDouble(bits)).Select(d => (object)(double.IsFinite(d) ? d : 0.0)),
        Gen.Int.Select(bits => BitConverter.Int32BitsToSingle(bits)).Select(f => (object)(float.IsFinite(f) ? f : 0f)),
#if !GROWLYTICS_LIBRARY_NETSTANDARD
        Gen.Short.Select(bits => BitConverter.Int16BitsToHalf(bits)).Select(h => (object)(Half.IsFinite(h) ? h : Half.Zero)),
#endif
        Gen.Decimal.Select(x => (object)x),
        Gen.Byte.Array[1, 48].Select(b => (object)new BigInteger(b)),
#if !GROWLYTICS_LIBRARY_NETSTANDARD
        Gen.Select(Gen.ULong, Gen.ULong, (hi, lo) => (object)(Int128)new UInt128(hi, lo)),
        Gen.Select(Gen.ULong, Gen.ULong, (hi, lo) => (object)new UInt128(hi, lo)),
#endif
        Gen.Bool.Select(x => (object)x),
        AnyCharButSurrogates.Select(x => (object)x),
        Strings.Select(x => (object)x),
        Gen.DateTime[new DateTime(1, 1, 2), new DateTime(9999, 12, 30)].Select(d => (object)DateTime.SpecifyKind(d, DateTimeKind.Utc)),
        Gen.DateTime[new DateTime(1, 1, 2), new DateTime(9999, 12, 30)].Select(d => (object)DateTime.SpecifyKind(d, DateTimeKind.Unspecified)),
        Gen.Select(Gen.DateTime[new DateTime(1, 1, 2), new DateTime(9999, 12, 30)], Gen.Int[-14 * 60, 14 * 60], (d, m) => (object)new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Unspecified), TimeSpan.FromMinutes(m)))
#if !GROWLYTICS_LIBRARY_NETSTANDARD
        , Gen.DateOnly[DateOnly.MinValue, DateOnly.MaxValue].Select(d => (object)d)
#endif
        );

    private static readonly Gen<object?> ValuesOrNull = Gen.Frequency((9, ValidValues.Select(v => (object?)v)), (1, Gen.Const<object?>((object?)null)));

    /// <summary>Unique valid names ("k{index}_" plus random characters; the separator keeps "k1"+"2x" apart from "k12"+"x") with values, some of them null.</summary>
    private static readonly Gen<List<KeyValuePair<string, object?>>> ValidSets =
        Gen.Select(Gen.Char[NameChars].Array[0, 100].Select(a => new string(a)), ValuesOrNull).Array[0, 40]
            .Select(items => items.Select((item, i) => new KeyValuePair<string, object?>("k" + i.ToString(CultureInfo.InvariantCulture) + "_" + item.Item1, item.Item2)).ToList());

    private static readonly Gen<(string Name, object? Value, string ExpectedName)> BrokenAttributes = Gen.OneOf(
        Gen.Int[121, 300].Select(n => (new string('n', n), (object?)1, new string('n', n))),
        Gen.Const((string.Empty, (object?)"v", string.Empty)),
        Gen.Char['\0', '\u001f'].Select(c => ("bad" + c, (object?)"v", "bad" + c)),
        Gen.Int[513, 1000].Select(n => ("bio", (object?)new string('v', n), "bio")),
        Gen.OneOfConst<object>(Guid.Empty, TimeSpan.Zero, new object(), new[] { 1 }, DayOfWeek.Monday, new Uri("https://example.com/"))
            .Select(v => ("odd", (object?)v, "odd")),
        Gen.OneOfConst<object>(double.NaN, double.PositiveInfinity, float.NegativeInfinity, float.NaN).Select(v => ("score", (object?)v, "score")),
#if !GROWLYTICS_LIBRARY_NETSTANDARD
        Gen.OneOfConst<object>(Half.NaN, Half.PositiveInfinity).Select(v => ("score", (object?)v, "score")),
#endif
        Gen.OneOfConst("john", "john@", "@x.io", "a b@c.de", "a@b").Select(v => ("EMAIL", (object?)v, "email")),
        Gen.OneOfConst("12345", "1234567890123456", "12a4567", "1+234567").Select(v => ("Mobile", (object?)v, "mobile")),
        Gen.Int.Select(v => ("name", (object?)v, "name")));

    private static readonly Gen<(List<KeyValuePair<string, object?>> Set, string ExpectedName)> InvalidSets =
        Gen.Select(ValidSets, BrokenAttributes, Gen.Int[0, 1000], (set, broken, at) =>
        {
            var copy = set.ToList();
            copy.Insert(at % (copy.Count + 1), new KeyValuePair<string, object?>(broken.Name, broken.Value));
            return (copy, broken.ExpectedName);
        });

    [Fact]
    public void Push_RandomValidAttributes_SerializeToJsonThatReadsBackToEveryValue()
    {
        using var harness = new CallerHarness();

        Gen.Select(ValidSets, Gen.Bool).Sample((set, typed) =>
        {
            if (typed)
            {
                var attributes = new UserAttributes();
                foreach (var (name, value) in set)
                {
                    attributes[name] = value;
                }

                harness.User.Push(attributes);
            }
            else
            {
                harness.User.Push(new Dictionary<string, object?>(set));
            }

            var expected = set.Where(p => p.Value is not null).ToList();
            var messages = harness.Drain();
            if (expected.Count == 0)
            {
                messages.Should().BeEmpty("a call with nothing but nulls sends nothing");
                return;
            }

            var json = CallerHarness.ToJson(messages.Should().ContainSingle().Subject);
            using var document = JsonDocument.Parse(json);
            var written = document.RootElement.GetProperty("attributes");
            written.GetArrayLength().Should().Be(expected.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var element = written[i];
                element.GetProperty("name").GetString().Should().Be(expected[i].Key);
                ShouldRoundTrip(element.GetProperty("type").GetString()!, element.GetProperty("value"), expected[i].Value!);
            }
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void Push_RandomSetsWithOneBrokenAttribute_AreRejectedNamingItAndQueueNothing()
    {
        using var harness = new CallerHarness();
        using var dropping = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);
        var dropped = 0L;

        InvalidSets.Sample(invalid =>
        {
            var anonymousId = harness.User.AnonymousId;
            var act = () => harness.User.Push(new Dictionary<string, object?>(invalid.Set));

            act.Should().Throw<GrowlyticsValidationException>().Which.AttributeName.Should().Be(invalid.ExpectedName);
            harness.Client.Queue.Count.Should().Be(0);
            harness.User.AnonymousId.Should().Be(anonymousId);

            dropping.User.Identify("u-1", new Dictionary<string, object?>(invalid.Set));
            dropping.Client.Queue.Count.Should().Be(0);
            dropping.User.IsIdentified.Should().BeFalse();
            dropping.Client.Statistics.InvalidInputs.Should().Be(++dropped);
        }, iter: Iterations, threads: 1);
    }

    private static void ShouldRoundTrip(string type, JsonElement value, object original)
    {
        switch (original)
        {
            case string s:
                type.Should().Be("string");
                value.GetString().Should().Be(s);
                break;
            case char c:
                type.Should().Be("string");
                value.GetString().Should().Be(c.ToString());
                break;
            case bool b:
                type.Should().Be("boolean");
                value.GetBoolean().Should().Be(b);
                break;
            case double d:
                type.Should().Be("number");
                double.Parse(value.GetRawText(), CultureInfo.InvariantCulture).Should().Be(d);
                break;
            case float f:
                type.Should().Be("number");
                float.Parse(value.GetRawText(), CultureInfo.InvariantCulture).Should().Be(f);
                break;
            case Half h:
                type.Should().Be("number");
                Half.Parse(value.GetRawText(), CultureInfo.InvariantCulture).Should().Be(h);
                break;
            case DateTime dt:
                type.Should().Be("date");
                value.GetString().Should().Be(DateTime.SpecifyKind(dt, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset dto:
                type.Should().Be("date");
                value.GetString().Should().Be(dto.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
                break;
            case DateOnly date:
                type.Should().Be("date");
                value.GetString().Should().Be(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00");
                break;
            default:
                // Integers of every width, BigInteger, Int128, UInt128 and decimal: the exact digits.
                type.Should().Be("number");
                value.ValueKind.Should().Be(JsonValueKind.Number);
                value.GetRawText().Should().Be(((IFormattable)original).ToString(null, CultureInfo.InvariantCulture));
                break;
        }
    }
}
