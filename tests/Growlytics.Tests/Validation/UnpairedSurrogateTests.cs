using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// Text with half of a surrogate pair has no UTF-8 form: it would reach the wire altered (U+FFFD), and two different ids
/// would become one customer. Such a value, name or id is refused at the call; whole pairs (emoji) go through intact.
/// </summary>
public sealed class UnpairedSurrogateTests : IDisposable
{
    private const string Rule = "unpaired surrogate";

    // Not theory data: the test runner writes a case's arguments out as UTF-8, which would turn these into U+FFFD.
    private static readonly string[] Unpaired = ["a\uD800b", "a\uDC00b", "ends with half \uD83D", "\uDE00 starts with the second half", "\uDE00\uD83D"];
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Push_StringValueWithAnUnpairedSurrogate_IsRefusedNamingTheAttribute()
    {
        foreach (var value in Unpaired)
        {
            _harness.ShouldReject(() => _harness.User.Push(One("bio", value)), "bio", Rule, value);
            _harness.ShouldReject(() => _harness.Client.Customers.Update("c-1", One("bio", value)), "bio", Rule, value);
        }
    }

    [Fact]
    public void Push_CharValueThatIsHalfAPair_IsRefused()
    {
        _harness.ShouldReject(() => _harness.User.Push(One("initial", '\uD83D')), "initial", Rule);
    }

    [Fact]
    public void Push_NameWithAnUnpairedSurrogate_IsRefusedAndTheMessageShowsItAsAQuestionMark()
    {
        var error = _harness.ShouldReject(() => _harness.User.Push(One("n\uD800", "x")), "n\uD800", Rule);

        error.Message.Should().Contain("'n?'").And.NotContain("\uD800");
    }

    [Fact]
    public void IdentifyAndUpdate_IdWithAnUnpairedSurrogate_AreRefused()
    {
        _harness.ShouldReject(() => _harness.User.Identify("user-\uDC00"), null, Rule);
        _harness.ShouldReject(() => _harness.Client.Customers.Update("id-\uD800", One("plan", "pro")), null, Rule);
        GrowlyticsClient.IsValidUserId("user-\uDC00").Should().BeFalse();
    }

    [Fact]
    public void PushAndIdentify_WholePairs_AreAcceptedAndSentIntact()
    {
        _harness.User.Identify("user-\uD83D\uDE00");
        _harness.User.Push(One("mood \uD83D\uDE00", "\uD83D\uDE00 happy \uD83D\uDE00"));

        var json = string.Join("\n", _harness.DrainJson());
        json.Should().Contain("user-\\uD83D\\uDE00").And.Contain("mood \\uD83D\\uDE00").And.Contain("\\uD83D\\uDE00 happy \\uD83D\\uDE00");
        json.Should().NotContain("\\uFFFD");
    }

    [Fact]
    public void Push_LongNameWithAPairAtTheCut_TheMessageNeverHoldsHalfAPair()
    {
        var name = new string('k', 31) + "\uD83D\uDE00" + new string('z', 300);

        var error = _harness.ShouldReject(() => _harness.User.Push(One(name, "x")), name, "has a name of");

        Utf16Valid(error.Message).Should().BeTrue("the message is valid text, cut before the pair");
    }

    private static bool Utf16Valid(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
