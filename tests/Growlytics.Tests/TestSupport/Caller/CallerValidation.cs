namespace GrowlyticsSdk.Tests.TestSupport.Caller;

/// <summary>Asserts that a call is rejected at the call and leaves no trace: no message, no session change, no value in the message.</summary>
internal static class CallerValidation
{
    /// <param name="harness">The client the call goes to.</param>
    /// <param name="call">The call.</param>
    /// <param name="attributeName">The attribute the exception must name (<see langword="null"/> for the user id or the count).</param>
    /// <param name="rule">A fragment of the message that states the rule.</param>
    /// <param name="secrets">Values that must not appear in the message.</param>
    public static GrowlyticsValidationException ShouldReject(this CallerHarness harness, Action call, string? attributeName, string rule, params string[] secrets)
    {
        var queued = harness.Client.Queue.Count;
        var anonymousId = harness.User.AnonymousId;
        var userId = harness.User.UserId;

        var exception = call.Should().Throw<GrowlyticsValidationException>().Which;

        exception.Should().BeAssignableTo<ArgumentException>();
        exception.AttributeName.Should().Be(attributeName);
        exception.Message.Should().Contain(rule);
        if (!string.IsNullOrEmpty(attributeName))
        {
            exception.Message.Should().Contain("'" + Shown(attributeName) + "'", "the message names the attribute");
        }

        foreach (var secret in secrets)
        {
            exception.Message.Should().NotContain(secret, "values are personal data and never appear in messages");
        }

        harness.Client.Queue.Count.Should().Be(queued, "an invalid call queues nothing");
        harness.User.AnonymousId.Should().Be(anonymousId, "an invalid call changes no session state");
        harness.User.UserId.Should().Be(userId, "an invalid call changes no session state");
        return exception;
    }

    public static Dictionary<string, object?> One(string name, object? value) => new() { [name] = value };

    // Long names are cut to 32 characters (31 rather than split a pair), and control and format characters, line and
    // paragraph separators and unpaired surrogates are shown as '?', so the message stays one line of valid text.
    private static string Shown(string name)
    {
        var keep = name.Length > 32 ? (char.IsHighSurrogate(name[31]) ? 31 : 32) : name.Length;
        var shown = new System.Text.StringBuilder();
        for (var i = 0; i < keep; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < keep && char.IsLowSurrogate(name[i + 1]))
            {
                // A format character outside the first plane (a tag character) is shown as two '?'.
                var format = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(name, i) == System.Globalization.UnicodeCategory.Format;
                shown.Append(format ? '?' : c).Append(format ? '?' : name[i + 1]);
                i++;
            }
            else
            {
                shown.Append(char.IsControl(c) || char.IsSurrogate(c) || IsLineOrFormat(c) ? '?' : c);
            }
        }

        return keep < name.Length ? shown + "..." : shown.ToString();
    }

    private static bool IsLineOrFormat(char c) =>
        char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator or System.Globalization.UnicodeCategory.Format;
}
