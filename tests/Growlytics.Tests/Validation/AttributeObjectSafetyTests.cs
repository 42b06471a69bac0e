using System.Collections;
using System.Dynamic;
using System.Globalization;
using System.Numerics;
using System.Reflection;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// Objects that cannot carry attributes (no readable properties, throwing getters, runtime objects) are invalid calls,
/// never empty updates or stray exceptions; numbers have a size bound; the generic overload reads dictionaries as dictionaries.
/// </summary>
public sealed class AttributeObjectSafetyTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public static TheoryData<object> RuntimeObjects => new()
    {
        typeof(string),
        typeof(List<>).GetMethod("Add")!,
        typeof(string).Assembly,
        typeof(string).Module,
        new Action(() => { }),
        new Func<int>(() => 1),
        Task.CompletedTask,
        Task.FromResult(1),
        new ValueTask<int>(1),
        Guid.NewGuid(),
        TimeSpan.FromSeconds(1),
        DateTimeOffset.UnixEpoch,
        BigInteger.One,
        new Uri("https://example.com/"),
        new KeyValuePair<string, string>("plan", "pro"),
        Tuple.Create("plan", "pro"),
#if NET
        new TimeOnly(10, 30),
        new DateOnly(2026, 12, 3),
        (Half)1.5,
        (Int128)5,
#endif
    };

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void PushAndUpdate_FrameworkValuesThroughTheGenericOverloads_AreRejectedNotSentAsTheirProperties()
    {
        const string Rule = "pass an object whose public properties are the attributes";
        _harness.ShouldReject(() => _harness.User.Push((int?)5), null, Rule);
        _harness.ShouldReject(() => _harness.User.Push(new KeyValuePair<string, string>("plan", "pro")), null, Rule);
        _harness.ShouldReject(() => _harness.User.Identify("u-1", new Uri("https://example.com/")), null, Rule);
        _harness.ShouldReject(() => _harness.Client.Customers.Update("c-1", (int?)5), null, Rule);
#if NET
        _harness.ShouldReject(() => _harness.User.Push(new TimeOnly(10, 30)), null, Rule);
        _harness.ShouldReject(() => _harness.Client.Customers.Update("c-1", new DateOnly(2026, 12, 3)), null, Rule);
        _harness.ShouldReject(() => _harness.User.Push((Half)1.5), null, Rule);
#endif

        _harness.Drain().Should().BeEmpty("a rejected call changes nothing");
        _harness.User.Push(new { plan = "pro" });
        _harness.Drain().Should().ContainSingle("an anonymous object is still an attributes object");
    }

    [Fact]
    public void Push_ObjectWithoutPublicProperties_IsRejectedNotAnEmptyUpdate()
    {
        _harness.ShouldReject(() => _harness.User.Push(new NoPublicProperties()), null, "no readable public instance properties");
        _harness.ShouldReject(() => _harness.User.Push((object)new NoPublicProperties()), null, "no readable public instance properties");
        _harness.ShouldReject(() => _harness.User.Push(new object()), null, "no readable public instance properties");
    }

    [Fact]
    public void Push_ObjectWithoutPublicPropertiesAndDropHandling_IsCountedAsInvalid()
    {
        using var dropping = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);

        dropping.User.Push(new NoPublicProperties());

        dropping.Client.Statistics.InvalidInputs.Should().Be(1);
        dropping.Drain().Should().BeEmpty();
    }

    [Fact]
    public void Push_ObjectWhoseValuesAreAllNull_IsANoOp()
    {
        _harness.User.Push(new { city = (string?)null, visits = (int?)null });

        _harness.Drain().Should().BeEmpty();
        _harness.Client.Statistics.InvalidInputs.Should().Be(0);
    }

    [Fact]
    public void Push_PropertyGetterThrows_ThrowsValidationExceptionNamingThePropertyNotTheValue()
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(new ThrowingGetter()), "Secret", "getter threw InvalidOperationException", "value-7731");

        error.InnerException.Should().BeOfType<InvalidOperationException>("the app's own exception is kept for its stack trace");
        _harness.ShouldReject(() => _harness.User.Push((object)new ThrowingGetter()), "Secret", "getter threw", "value-7731");
        _harness.ShouldReject(() => _harness.User.Identify("u-1", new ThrowingGetter()), "Secret", "getter threw", "value-7731");
    }

    [Theory]
    [MemberData(nameof(RuntimeObjects))]
    public void Push_RuntimeObjectAsAttributes_IsRejectedWithTheRule(object attributes)
    {
        _harness.ShouldReject(() => _harness.User.Push(attributes), null, "pass an object whose public properties are the attributes");
    }

    [Fact]
    public void Push_TypeOrDelegateAsAttributeValue_IsRejectedNamingTheAttribute()
    {
        _harness.ShouldReject(() => _harness.User.Push(new { kind = typeof(string) }), "kind", "does not accept");
        _harness.ShouldReject(() => _harness.User.Push(new { callback = new Action(() => { }) }), "callback", "does not accept");
    }

    [Fact]
    public void Push_BigIntegerOfMaxDigits_IsAccepted()
    {
        var largest = BigInteger.Pow(10, 1000) - 1;

        _harness.User.Push(new { plus = largest, minus = -largest });

        var message = _harness.Drain().Should().ContainSingle().Subject;
        message.Attributes.Select(a => (a.Name, a.Value)).Should().Equal(("plus", (object)largest), ("minus", (object)(-largest)));
        var json = CallerHarness.ToJson(message);
        json.Should().Contain("\"value\":" + largest.ToString(CultureInfo.InvariantCulture) + "}", "all 1,000 digits are sent")
            .And.Contain("\"value\":-" + largest.ToString(CultureInfo.InvariantCulture) + "}");
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(100_000)]
    public void Push_BigIntegerOverMaxDigits_IsRejectedAtTheCall(int digits)
    {
        var huge = BigInteger.Pow(10, digits - 1);

        _harness.ShouldReject(() => _harness.User.Push(new { score = huge }), "score", "at most 1,000 digits");
        _harness.ShouldReject(() => _harness.User.Push(new { score = -huge }), "score", "at most 1,000 digits");
    }

    [Fact]
    public void Push_WidestFixedSizeNumbers_AreWithinTheBound()
    {
        _harness.User.Push(new { a = decimal.MinValue, d = double.MaxValue, l = long.MinValue, u = ulong.MaxValue });

        _harness.Drain().Should().ContainSingle().Which.Attributes.Should().HaveCount(4);
    }

    [Fact]
    [Trait("Requires", "net8")]
    public void Push_Widest128BitNumbers_AreWithinTheBound()
    {
        _harness.User.Push(new { b = Int128.MinValue, c = UInt128.MaxValue });

        _harness.Drain().Should().ContainSingle().Which.Attributes.Should().HaveCount(2);
    }

    [Fact]
    public void Push_ConcreteDictionaryThroughGenericOverload_TakesTheDictionaryPath()
    {
        // Dictionary<string, object?> binds to Push<T> (an identity conversion beats the interface overload);
        // read as an object it would send Comparer, Count, Keys and Values, which are not valid attributes.
        _harness.User.Push(new Dictionary<string, object?> { ["city"] = "Pune", ["visits"] = 3 });
        _harness.User.Push(new SortedDictionary<string, object?> { ["plan"] = "pro" });
        _harness.User.Push(new Hashtable { ["tier"] = 2 });
        _harness.User.Push(new Dictionary<string, string> { ["region"] = "west" });
        IDictionary<string, object?> expando = new ExpandoObject();
        expando["vip"] = true;
        _harness.User.Push(expando);

        _harness.Drain().Select(m => string.Join(",", m.Attributes.Select(a => a.Name)))
            .Should().Equal("city,visits", "plan", "tier", "region", "vip");
    }

    [Fact]
    public void Identify_ConcreteDictionaryThroughGenericOverload_TakesTheDictionaryPath()
    {
        _harness.User.Identify("u-1", new Dictionary<string, object?> { ["city"] = "Pune" });

        _harness.Drain().Should().ContainSingle().Which.Attributes.Select(a => a.Name).Should().Equal("city");
    }

    [Fact]
    public void Push_GenericWithBaseDeclaredType_ReadsTheDeclaredTypesProperties()
    {
        BaseProfile profile = new DerivedProfile { City = "Pune", Plan = "pro" };

        _harness.User.Push(profile);
        _harness.User.Push((object)profile);

        var messages = _harness.Drain();
        messages[0].Attributes.Select(a => a.Name).Should().Equal(["City"], "the generic overload reads the declared type, which the trimmer keeps");
        messages[1].Attributes.Select(a => a.Name).Should().BeEquivalentTo(["City", "Plan"], "the object overload reads the runtime type");
    }

    [Fact]
    public void Push_GenericWithAnInterfaceThatExtendsAnother_ReadsTheInheritedPropertiesToo()
    {
        IPlanProfile profile = new PlanProfile { City = "Pune", Plan = "pro", Internal = "x" };

        _harness.User.Push(profile);

        _harness.Drain().Should().ContainSingle().Which.Attributes.Select(a => a.Name).Should().Equal(
            ["Plan", "City"], "an interface's declared members include those of the interfaces it extends, as JsonSerializer.Serialize<T> reads them");
    }

#if !GROWLYTICS_LIBRARY_NETSTANDARD
    // The netstandard2.0 build carries its own internal copies of the trimming attributes; trimming is a net8.0 concern.
    [Fact]
    [Trait("Requires", "net8")]
    public void PushAndIdentify_GenericOverloads_AreNotMarkedAsTrimUnsafe()
    {
        var generic = typeof(GrowlyticsUser).GetMethods().Where(m => m.IsGenericMethodDefinition).ToList();

        generic.Select(m => m.Name).Should().BeEquivalentTo(["Push", "Identify"]);
        foreach (var method in generic)
        {
            method.GetCustomAttribute<System.Diagnostics.CodeAnalysis.RequiresUnreferencedCodeAttribute>().Should().BeNull();
            method.GetGenericArguments()[0].GetCustomAttribute<System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembersAttribute>()!
                .MemberTypes.Should().HaveFlag(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties);
        }

        typeof(GrowlyticsUser).GetMethod(nameof(GrowlyticsUser.Push), [typeof(object)])!
            .GetCustomAttribute<System.Diagnostics.CodeAnalysis.RequiresUnreferencedCodeAttribute>().Should().NotBeNull("the object overload reads the runtime type, which trimming may strip");
    }
#endif

    private interface ICityProfile
    {
        string City { get; }
    }

    private interface IPlanProfile : ICityProfile
    {
        string Plan { get; }
    }

    private sealed class PlanProfile : IPlanProfile
    {
        public string City { get; init; } = "";

        public string Plan { get; init; } = "";

        public string Internal { get; init; } = "";
    }

    private sealed class NoPublicProperties
    {
        // Present to show that non-public members are not attributes.
        internal string Region { get; } = "west";
    }

    private sealed class ThrowingGetter
    {
        public string City => "Pune";

        public string Secret => throw new InvalidOperationException("value-7731");
    }

    private class BaseProfile
    {
        public string? City { get; init; }
    }

    private sealed class DerivedProfile : BaseProfile
    {
        public string? Plan { get; init; }
    }
}
