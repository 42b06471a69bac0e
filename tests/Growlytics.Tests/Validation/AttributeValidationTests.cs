using System.Numerics;
using GrowlyticsSdk.Validation;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

public sealed class AttributeValidationTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public static TheoryData<object, string> AcceptedValues => new()
    {
        { (sbyte)-1, "Number" },
        { (byte)1, "Number" },
        { (short)-2, "Number" },
        { (ushort)2, "Number" },
        { -3, "Number" },
        { 3u, "Number" },
        { -4L, "Number" },
        { 4UL, "Number" },
        { 5.5f, "Number" },
        { 6.5, "Number" },
        { 7.5m, "Number" },
        { new BigInteger(9), "Number" },
        { "text", "String" },
        { 'c', "String" },
        { true, "Boolean" },
        { new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), "Date" },
        { new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), "Date" },
    };

    /// <summary>Types only the net8.0 build reads; the netstandard2.0 build rejects them as unsupported.</summary>
    public static TheoryData<object, string> Net8AcceptedValues => new()
    {
        { (Half)8.5, "Number" },
        { (Int128)10, "Number" },
        { (UInt128)11, "Number" },
        { new DateOnly(2025, 1, 1), "Date" },
    };

    public static TheoryData<string, object> RejectedValues => new()
    {
        { "Object", new object() },
        { "Int32[]", new[] { 1, 2 } },
        { "String[]", new[] { "secret-in-array" } },
        { "List`1", new List<string> { "secret-in-list" } },
        { "Dictionary`2", new Dictionary<string, object> { ["k"] = "secret-in-dictionary" } },
        { "Guid", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e") },
        { "DayOfWeek", DayOfWeek.Friday },
        { "TimeSpan", TimeSpan.FromMinutes(1234) },
        { "Uri", new Uri("https://secret.example/path") },
        { "IntPtr", (IntPtr)42 },
        { "Byte[]", new byte[] { 1, 2, 3 } },
        { "TimeOnly", new TimeOnly(13, 14, 15) },
        { "Version", new Version(1, 2, 3) },
    };

    public static TheoryData<object> NotFiniteValues => new()
    {
        double.NaN, double.PositiveInfinity, double.NegativeInfinity,
        float.NaN, float.PositiveInfinity, float.NegativeInfinity,
    };

    public static TheoryData<object> Net8NotFiniteValues => new()
    {
        Half.NaN, Half.PositiveInfinity, Half.NegativeInfinity,
    };

    public void Dispose() => _harness.Dispose();

    [Theory]
    [MemberData(nameof(AcceptedValues))]
    public void Push_AcceptedType_QueuesTheAttributeWithItsGrowlyticsType(object value, string kind)
    {
        _harness.User.Push(One("v", value));

        var attribute = _harness.Drain().Should().ContainSingle().Subject.Attributes.Should().ContainSingle().Subject;
        attribute.Name.Should().Be("v");
        attribute.Kind.ToString().Should().Be(kind);
        attribute.Value.Should().Be(value);
    }

    [Theory]
    [Trait("Requires", "net8")]
    [MemberData(nameof(Net8AcceptedValues))]
    public void Push_AcceptedNet8Type_QueuesTheAttributeWithItsGrowlyticsType(object value, string kind) =>
        Push_AcceptedType_QueuesTheAttributeWithItsGrowlyticsType(value, kind);

#if GROWLYTICS_LIBRARY_NETSTANDARD
    [Theory]
    [MemberData(nameof(Net8AcceptedValues))]
    public void Push_Net8TypeOnNetstandardBuild_IsRejectedNamingOnlyTypesThisBuildAccepts(object value, string kind)
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One("v", value)), "v", "does not accept");

        error.Message.Should().Contain("use a number, BigInteger, string, char, bool, DateTime or DateTimeOffset.", "a {0} is not read by this build", kind);
    }
#else
    [Fact]
    public void Push_RejectedType_SuggestsEveryAcceptedType()
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One("v", Guid.Empty)), "v", "does not accept");

        error.Message.Should().Contain("use a number, BigInteger, string, char, bool, DateTime, DateTimeOffset or DateOnly.");
    }
#endif

    [Theory]
    [MemberData(nameof(RejectedValues))]
    public void Push_RejectedType_ThrowsNamingTheAttributeAndTheType(string typeName, object value)
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One("favourite", value)), "favourite", "does not accept", value.ToString()!);

        error.Message.Should().Contain(typeName);
        error.ParamName.Should().Be("attributes");
    }

    [Fact]
    public void Push_NestedAnonymousObject_IsRejected()
    {
        var value = new { street = "secret street" };

        _harness.ShouldReject(() => _harness.User.Push(new { address = value }), "address", "does not accept", "secret street");
    }

    [Theory]
    [MemberData(nameof(NotFiniteValues))]
    public void Push_NaNOrInfinity_IsRejected(object value)
    {
        _harness.ShouldReject(() => _harness.User.Push(One("score", value)), "score", "NaN or infinite");
    }

    [Theory]
    [Trait("Requires", "net8")]
    [MemberData(nameof(Net8NotFiniteValues))]
    public void Push_HalfNaNOrInfinity_IsRejected(object value) => Push_NaNOrInfinity_IsRejected(value);

    [Fact]
    public void Push_NameOf120Characters_IsAccepted()
    {
        var name = new string('n', 120);

        _harness.User.Push(One(name, 1));

        _harness.Drain().Single().Attributes.Single().Name.Should().Be(name);
    }

    [Fact]
    public void Push_NameOf121Characters_IsRejected()
    {
        var name = new string('n', 121);

        var error = _harness.ShouldReject(() => _harness.User.Push(One(name, "secret-value")), name, "at most 120 characters", "secret-value");

        error.Message.Should().Contain("121 characters");
    }

    [Fact]
    public void Push_EmptyName_IsRejected()
    {
        _harness.ShouldReject(() => _harness.User.Push(One(string.Empty, "secret-value")), string.Empty, "empty", "secret-value");
    }

    [Fact]
    public void Push_EmptyNameWithNullValue_IsStillRejected()
    {
        _harness.ShouldReject(() => _harness.User.Push(One(string.Empty, null)), string.Empty, "empty");
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    [InlineData("c1\u0085")]
    public void Push_NameWithControlCharacter_IsRejected(string name)
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One(name, "secret-value")), name, "control character", "secret-value");

        error.Message.Should().NotContain(name, "the control character is not written into the message");
    }

    [Fact]
    public void Push_StringOf512Characters_IsAccepted()
    {
        var value = new string('v', 512);

        _harness.User.Push(One("bio", value));

        _harness.Drain().Single().Attributes.Single().Value.Should().Be(value);
    }

    [Fact]
    public void Push_StringOf513Characters_IsRejectedWithoutTheValue()
    {
        var value = "secret" + new string('v', 507);

        var error = _harness.ShouldReject(() => _harness.User.Push(One("bio", value)), "bio", "at most 512 characters", "secret", new string('v', 40));

        error.Message.Should().Contain("513 characters");
    }

    [Fact]
    public void Push_256Attributes_IsAccepted()
    {
        _harness.User.Push(Many(256));

        _harness.Drain().Single().Attributes.Should().HaveCount(256);
    }

    [Fact]
    public void Push_257Attributes_IsRejected()
    {
        _harness.ShouldReject(() => _harness.User.Push(Many(257)), null, "at most 256");
    }

    [Fact]
    public void Push_257AttributesOneOfThemNull_IsAcceptedBecauseNullsAreNotSent()
    {
        var attributes = Many(257);
        attributes["a0"] = null;

        _harness.User.Push(attributes);

        _harness.Drain().Single().Attributes.Should().HaveCount(256).And.NotContain(a => a.Name == "a0");
    }

    [Fact]
    public void Push_NullValues_AreSkipped()
    {
        _harness.User.Push(new { city = "Pune", region = (string?)null, visits = (int?)null, plan = "pro" });

        _harness.Drain().Single().Attributes.Select(a => a.Name).Should().Equal("city", "plan");
    }

    [Fact]
    public void Push_OnlyNullValues_QueuesNothing()
    {
        _harness.User.Push(new Dictionary<string, object?> { ["city"] = null, ["email"] = null });
        _harness.User.Push(new { city = (string?)null });
        _harness.User.Push(new UserAttributes { Name = null });

        _harness.Drain().Should().BeEmpty();
        _harness.Client.Statistics.Enqueued.Should().Be(0);
    }

    [Fact]
    public void Identify_OnlyNullValues_QueuesALoginWithoutAttributes()
    {
        _harness.User.Identify("u-1", new { city = (string?)null });

        var message = _harness.Drain().Should().ContainSingle().Subject;
        message.Type.Should().Be(Messages.MessageType.Login);
        message.Attributes.Should().BeEmpty();
    }

    [Fact]
    public void Push_InvalidLastAttributeAfterValidOnes_QueuesNothing()
    {
        var attributes = new Dictionary<string, object?> { ["city"] = "Pune", ["plan"] = "pro", ["id"] = Guid.NewGuid() };

        _harness.ShouldReject(() => _harness.User.Push(attributes), "id", "does not accept");
    }

    [Fact]
    public void Push_NullArgument_ThrowsArgumentNullException()
    {
        _harness.User.Invoking(u => u.Push((object)null!)).Should().Throw<ArgumentNullException>();
        _harness.User.Invoking(u => u.Push((IReadOnlyDictionary<string, object?>)null!)).Should().Throw<ArgumentNullException>();
        _harness.User.Invoking(u => u.Push((UserAttributes)null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Push_NonGenericDictionaryWithNonStringKey_IsRejected()
    {
        var table = new System.Collections.Hashtable { [42] = "secret-value" };

        _harness.ShouldReject(() => _harness.User.Push(table), null, "names must be strings", "secret-value");
    }

    [Fact]
    public void Push_NonGenericDictionaryWithNullKey_IsRejectedAsAnEmptyName()
    {
        var table = new NullKeyDictionary();

        _harness.ShouldReject(() => _harness.User.Push(table), string.Empty, "name is empty", "secret-value");
    }

    private static Dictionary<string, object?> Many(int count) =>
        Enumerable.Range(0, count).ToDictionary(i => "a" + i, i => (object?)i);

    /// <summary>A custom non-generic dictionary that yields a null key (the framework's own ones refuse null keys).</summary>
    private sealed class NullKeyDictionary : System.Collections.IDictionary
    {
        public bool IsFixedSize => true;

        public bool IsReadOnly => true;

        public System.Collections.ICollection Keys => throw new NotSupportedException();

        public System.Collections.ICollection Values => throw new NotSupportedException();

        public int Count => 2;

        public bool IsSynchronized => false;

        public object SyncRoot => this;

        public object? this[object key]
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Add(object key, object? value) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();

        public bool Contains(object key) => false;

        public System.Collections.IDictionaryEnumerator GetEnumerator() => new Entries();

        public void Remove(object key) => throw new NotSupportedException();

        public void CopyTo(Array array, int index) => throw new NotSupportedException();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Entries : System.Collections.IDictionaryEnumerator
        {
            private readonly System.Collections.DictionaryEntry[] _entries = [new(null!, "secret-value"), new("plan", "pro")];
            private int _at = -1;

            public System.Collections.DictionaryEntry Entry => _entries[_at];

            public object Key => Entry.Key;

            public object? Value => Entry.Value;

            public object Current => Entry;

            public bool MoveNext() => ++_at < _entries.Length;

            public void Reset() => _at = -1;
        }
    }
}
