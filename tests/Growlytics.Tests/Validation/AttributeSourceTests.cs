using System.Collections;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// What the app's own attribute sources can do wrong: a dictionary that gives a name twice, or whose enumeration throws,
/// is an invalid call (a validation error, or a counted drop), never a message with the name twice or a stray exception;
/// a name with line separators or direction overrides cannot break the message or the log line into forged ones.
/// </summary>
public sealed class AttributeSourceTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void PushIdentifyAndUpdate_ANameGivenTwiceByADictionary_AreRejectedNamingIt()
    {
        var twice = new ListDictionary(("plan", "pro"), ("city", "Pune"), ("city", "Delhi"));

        _harness.ShouldReject(() => _harness.User.Push(twice), "city", "more than once", "Pune", "Delhi");
        _harness.ShouldReject(() => _harness.User.Push((object)twice), "city", "more than once");
        _harness.ShouldReject(() => _harness.User.Identify("u-1", twice), "city", "more than once");
        _harness.ShouldReject(() => _harness.Client.Customers.Update("c-1", twice), "city", "more than once");

        _harness.Drain().Should().BeEmpty("a rejected call changes nothing");
    }

    [Fact]
    public void Push_NamesDifferingOnlyInCase_AreTwoAttributes()
    {
        _harness.User.Push(new ListDictionary(("city", "Pune"), ("City", "Delhi")));

        _harness.Drain().Should().ContainSingle().Which.Attributes.Select(a => a.Name).Should().Equal("city", "City");
    }

    [Fact]
    public void Push_ANullValueUnderARepeatedName_SaysNothingAndIsNoRepeat()
    {
        _harness.User.Push(new ListDictionary(("city", null), ("city", "Pune")));

        _harness.Drain().Should().ContainSingle().Which.Attributes.Select(a => a.Name).Should().Equal("city");
    }

    [Fact]
    public void Push_ARepeatAfterManyNames_IsFoundToo()
    {
        var names = Enumerable.Range(0, 40).Select(i => ("a" + i, (object?)i)).ToList();
        names.Add(("a3", 3));

        _harness.ShouldReject(() => _harness.User.Push(new ListDictionary([.. names])), "a3", "more than once");

        names.RemoveAt(names.Count - 1);
        _harness.User.Push(new ListDictionary([.. names]));
        _harness.Drain().Should().ContainSingle().Which.Attributes.Should().HaveCount(40);
    }

    [Fact]
    public void Push_ADictionaryWhoseComparerSeesTwoEqualNamesAsDifferent_IsRejected()
    {
        // Two string instances with the same text are two keys under reference equality.
        var name = new string("city".ToCharArray());
        var twice = new Dictionary<string, object?>(ReferenceEqualityComparer.Instance) { ["city"] = "Pune", [name] = "Delhi" };

        _harness.ShouldReject(() => _harness.User.Push(twice), "city", "more than once");

        _harness.User.Push(new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["city"] = "Pune", ["plan"] = "pro" });
        _harness.Drain().Should().ContainSingle().Which.Attributes.Should().HaveCount(2);
    }

    [Theory]
    [InlineData(Fault.Enumerating)]
    [InlineData(Fault.Counting)]
    public void PushAndUpdate_ADictionaryThatThrows_IsAValidationErrorWithTheAppsExceptionInside(Fault fault)
    {
        var broken = new ThrowingDictionary(fault);

        var error = _harness.ShouldReject(() => _harness.User.Push(broken), null, "could not be read");
        error.Message.Should().Contain(nameof(ThrowingDictionary)).And.Contain(nameof(InvalidOperationException)).And.NotContain(ThrowingDictionary.Secret);
        error.InnerException.Should().BeOfType<InvalidOperationException>();
        _harness.ShouldReject(() => _harness.User.Push((object)broken), null, "could not be read");
        _harness.ShouldReject(() => _harness.User.Identify("u-1", broken), null, "could not be read");
        _harness.ShouldReject(() => _harness.Client.Customers.Update("c-1", broken), null, "could not be read");
        _harness.ShouldReject(() => _harness.User.Push(new ThrowingHashtable()), null, "could not be read");

        _harness.Drain().Should().BeEmpty();
    }

    [Fact]
    public async Task DropMode_ADictionaryThatThrows_IsCountedAndNothingIsThrown()
    {
        using var harness = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);

        harness.User.Push(new ThrowingDictionary(Fault.Enumerating));
        harness.User.Push(new ListDictionary(("city", "Pune"), ("city", "Delhi")));
        await harness.Client.Customers.UpdateAsync("c-1", new ThrowingDictionary(Fault.Counting));

        harness.Drain().Should().BeEmpty();
        harness.Client.Statistics.InvalidInputs.Should().Be(3);
        harness.Client.Statistics.Enqueued.Should().Be(0);
        harness.Logs.Warnings.Should().ContainSingle().Which.Message.Should().Contain("could not be read").And.NotContain(ThrowingDictionary.Secret);
    }

    [Theory]
    [InlineData("a\u2028Error 2006 forged line")]
    [InlineData("a\u2029b")]
    [InlineData("plan\u202Egnp.exe")]
    [InlineData("zero\u200Bwidth")]
    [InlineData("\uFEFFbom")]
    [InlineData("ci\U000E0041ty")]
    public void Messages_ANameWithASeparatorOrAFormatCharacter_ShowItAsAQuestionMark(string name)
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One(name, double.NaN)), name, "NaN or infinite");
        error.Message.Should().NotContainAny("\u2028", "\u2029", "\u202E", "\u200B", "\uFEFF", "\U000E0041");

        using var dropping = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);
        dropping.User.Push(One(name, "x".PadRight(600, 'x')));
        dropping.Logs.Warnings.Should().ContainSingle().Which.Message.Should().NotContainAny("\u2028", "\u2029", "\u202E", "\u200B", "\uFEFF", "\U000E0041");
    }

    [Fact]
    public void Push_ADictionaryThatGivesMoreThanItsCount_SendsEveryAttribute()
    {
        // A concurrent dictionary filled by another thread after its count was read gives more pairs than it said.
        _harness.User.Push(new ListDictionary(("city", "Pune"), ("plan", "pro"), ("visits", 3)) { ReportedCount = 0 });
        _harness.User.Push(new ListDictionary([.. Enumerable.Range(0, 40).Select(i => ("a" + i, (object?)i))]) { ReportedCount = 1 });

        var messages = _harness.Drain();
        messages.Should().HaveCount(2);
        messages[0].Attributes.Select(a => a.Name).Should().Equal("city", "plan", "visits");
        messages[1].Attributes.Should().HaveCount(40);
    }

    [Fact]
    public void Messages_AWholeSurrogatePairInAName_IsShownAsItIs()
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One("city\U0001F600", double.NaN)), "city\U0001F600", "NaN or infinite");

        error.Message.Should().Contain("'city\U0001F600'");
    }

    [Fact]
    public void Messages_ANameWithSeveralControlCharacters_ShowsEachAsAQuestionMark()
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One("a\nb\rc", 1)), "a\nb\rc", "control character");

        error.Message.Should().Contain("'a?b?c'").And.NotContainAny("\n", "\r");
    }

    public enum Fault
    {
        Enumerating,
        Counting,
    }

    /// <summary>A read-only dictionary over a list of pairs, which, unlike a real dictionary, can give a name twice.</summary>
    private sealed class ListDictionary(params (string Name, object? Value)[] pairs) : IReadOnlyDictionary<string, object?>
    {
        /// <summary>Gets the count the dictionary says it has, when it is not its number of pairs.</summary>
        public int? ReportedCount { get; init; }

        public int Count => ReportedCount ?? pairs.Length;

        public IEnumerable<string> Keys => pairs.Select(p => p.Name);

        public IEnumerable<object?> Values => pairs.Select(p => p.Value);

        public object? this[string key] => pairs.First(p => p.Name == key).Value;

        public bool ContainsKey(string key) => pairs.Any(p => p.Name == key);

        public bool TryGetValue(string key, out object? value)
        {
            value = ContainsKey(key) ? this[key] : null;
            return ContainsKey(key);
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() =>
            pairs.Select(p => new KeyValuePair<string, object?>(p.Name, p.Value)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ThrowingDictionary(Fault fault) : IReadOnlyDictionary<string, object?>
    {
        public const string Secret = "secret-in-the-apps-exception";

        public int Count => fault == Fault.Counting ? throw new InvalidOperationException(Secret) : 2;

        public IEnumerable<string> Keys => throw new NotSupportedException();

        public IEnumerable<object?> Values => throw new NotSupportedException();

        public object? this[string key] => throw new NotSupportedException();

        public bool ContainsKey(string key) => false;

        public bool TryGetValue(string key, out object? value) => throw new NotSupportedException();

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return new KeyValuePair<string, object?>("plan", "pro");
            throw new InvalidOperationException(Secret);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A non-generic dictionary (the <see cref="IDictionary"/> path) whose enumerator throws.</summary>
    private sealed class ThrowingHashtable : Hashtable
    {
        public ThrowingHashtable() => this["plan"] = "pro";

        public override IDictionaryEnumerator GetEnumerator() => throw new InvalidOperationException(ThrowingDictionary.Secret);
    }
}
