using System.Dynamic;
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

    [Theory]
    [MemberData(nameof(NotAttributeObjects))]
    public void Push_ScalarOrSequenceInsteadOfAnObject_IsRejected(object attributes)
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(attributes), null, "public properties are the attributes");

        error.ParamName.Should().Be("attributes");
        error.Message.Should().NotContain(attributes.ToString()!);
    }

    private sealed class Profile
    {
        public string City { get; init; } = string.Empty;

        public int Visits { get; init; }

        internal string Hidden { get; init; } = "not sent";
    }
}
