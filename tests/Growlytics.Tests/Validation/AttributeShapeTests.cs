using System.Dynamic;
using System.Numerics;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>What the anonymous-object overload accepts besides anonymous objects.</summary>
public sealed class AttributeShapeTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public static TheoryData<object> NotAttributeObjects => new()
    {
        "just-a-string",
        42,
        3.5m,
        true,
        DayOfWeek.Monday,
        new[] { 1, 2, 3 },
        new List<string> { "a" },
        new List<KeyValuePair<string, object?>> { new("a", 1), new("a", 2) },
    };

    public void Dispose() => _harness.Dispose();

    public static TheoryData<object, string> ValuesAndTheirTypes => new()
    {
        { "text", "String" },
        { 'x', "String" },
        { true, "Boolean" },
        { 42, "Number" },
        { 42L, "Number" },
        { (short)42, "Number" },
        { (byte)42, "Number" },
        { (sbyte)-42, "Number" },
        { (ushort)42, "Number" },
        { 42u, "Number" },
        { ulong.MaxValue, "Number" },
        { 1.5, "Number" },
        { 1.5f, "Number" },
        { 1.50m, "Number" },
        { new BigInteger(long.MaxValue) * 4, "Number" },
#if !GROWLYTICS_LIBRARY_NETSTANDARD
        { (Half)1.5, "Number" },
        { (Int128)42, "Number" },
        { (UInt128)42, "Number" },
#endif
        { new DateTime(2026, 11, 28, 15, 17, 7, DateTimeKind.Utc), "Date" },
        { new DateTimeOffset(2026, 11, 28, 15, 17, 7, TimeSpan.FromHours(5.5)), "Date" },
#if !GROWLYTICS_LIBRARY_NETSTANDARD
        { new DateOnly(2026, 11, 28), "Date" },
#endif
    };

    [Theory]
    [MemberData(nameof(ValuesAndTheirTypes))]
    public void Push_EachAcceptedValueType_QueuesTheGrowlyticsTypeItsValueHas(object value, string expected)
    {
        _harness.User.Push(new Dictionary<string, object?> { ["a"] = value });

        var attribute = _harness.Drain().Should().ContainSingle().Which.Attributes.Should().ContainSingle().Subject;
        attribute.Value.Should().Be(value);
        attribute.Kind.ToString().Should().Be(expected);
    }

    [Fact]
    public void Push_ExpandoObject_SendsItsMembers()
    {
        dynamic attributes = new ExpandoObject();
        attributes.city = "Pune";
        attributes.visits = 3;

        _harness.User.Push((object)attributes);

        _harness.Drain().Should().ContainSingle().Which.Attributes.Select(a => (a.Name, a.Value))
            .Should().Equal(("city", (object)"Pune"), ("visits", 3));
    }

    [Fact]
    public void Identify_GenericOnlyDictionary_SendsItsEntries()
    {
        IDictionary<string, object?> attributes = new ExpandoObject();
        attributes["plan"] = "pro";

        _harness.User.Identify("u-1", (object)attributes);

        _harness.Drain().Should().ContainSingle().Which.Attributes.Single().Name.Should().Be("plan");
    }

    [Fact]
    public void Push_PlainClassInstance_SendsItsPublicProperties()
    {
        _harness.User.Push(new Profile { City = "Pune", Visits = 3 });

        _harness.Drain().Single().Attributes.Select(a => a.Name).Should().Equal("City", "Visits");
    }

    [Fact]
    public void Push_PropertyHiddenByADerivedType_IsSentOnceWithTheDerivedValue()
    {
        // Reflection lists both City properties; sent twice, the service would see one name with two types and values.
        object asObject = new DerivedProfile { City = 411001 };
        _harness.User.Push(asObject);
        _harness.User.Push(new DerivedProfile { City = 411001 });

        foreach (var message in _harness.Drain().Should().HaveCount(2).And.Subject)
        {
            message.Attributes.Select(a => (a.Name, a.Value)).Should().Equal(("City", (object)411001), ("Visits", (object)0));
        }
    }

    [Theory]
    [MemberData(nameof(NotAttributeObjects))]
    public void Push_ScalarOrSequenceInsteadOfAnObject_IsRejected(object attributes)
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(attributes), null, "public properties are the attributes");

        error.ParamName.Should().Be("attributes");
        error.Message.Should().NotContain(attributes.ToString()!);
    }

    [Fact]
    public void Push_ObjectWithAnIndexerOrANonPublicGetter_SendsOnlyItsReadableProperties()
    {
        object asObject = new ProfileWithOtherMembers();
        _harness.User.Push(asObject);
        _harness.User.Push(new ProfileWithOtherMembers());

        foreach (var message in _harness.Drain().Should().HaveCount(2).And.Subject)
        {
            message.Attributes.Select(a => a.Name).Should().Equal("City");
        }
    }

    [Fact]
    public void Push_GenericOverloadOnAClassWithAnExplicitInterfaceProperty_SendsOnlyItsPublicProperties()
    {
        _harness.User.Push(new TaggedProfile());

        _harness.Drain().Single().Attributes.Select(a => a.Name).Should().Equal("City");
    }

    [Fact]
    public void Push_AnEnumOfTheApp_IsNotAnAttributesObject()
    {
        _harness.ShouldReject(() => _harness.User.Push((object)Plan.Gold), null, "public properties are the attributes");
    }

    private class Profile
    {
        public string City { get; init; } = string.Empty;

        public int Visits { get; init; }

        internal string Hidden { get; init; } = "not sent";
    }

    private sealed class DerivedProfile : Profile
    {
        public new int City { get; init; }
    }

    private enum Plan
    {
        Free,
        Gold,
    }

    private interface ITagged
    {
        string Tag { get; }
    }

    private sealed class TaggedProfile : ITagged
    {
        public string City { get; init; } = "Pune";

        string ITagged.Tag => "not sent";
    }

    private sealed class ProfileWithOtherMembers
    {
        public string City { get; init; } = "Pune";

        public string Code { private get; init; } = "not sent";

        public string this[int index] => "not sent";
    }
}
