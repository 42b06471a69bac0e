namespace GrowlyticsSdk.Tests.Sessions;

public sealed class IdValidationTests
{
    [Theory]
    [InlineData("abc-DEF_123", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("semi;colon", false)]
    public void IsValidAnonymousId_Candidate_MatchesWhatBeginScopeAccepts(string? candidate, bool expected)
    {
        GrowlyticsClient.IsValidAnonymousId(candidate).Should().Be(expected);
        using var client = new GrowlyticsClient(new GrowlyticsOptions { ApiKey = "key", Endpoint = new Uri("http://127.0.0.1:9/"), FlushOnProcessExit = false });
        var begin = () => client.BeginScope(candidate).Dispose();
        if (expected || candidate is null)
        {
            begin.Should().NotThrow();
        }
        else
        {
            begin.Should().Throw<ArgumentException>();
        }
    }

    [Fact]
    public void IsValidAnonymousId_SixtyFiveCharacters_IsFalse()
    {
        GrowlyticsClient.IsValidAnonymousId(new string('a', 64)).Should().BeTrue();
        GrowlyticsClient.IsValidAnonymousId(new string('a', 65)).Should().BeFalse();
    }

    [Theory]
    [InlineData("u-42", true)]
    [InlineData(null, false)]
    [InlineData("   ", false)]
    public void IsValidUserId_Candidate_NeverThrows(string? candidate, bool expected)
    {
        GrowlyticsClient.IsValidUserId(candidate).Should().Be(expected);
    }

    [Fact]
    public void IsValidUserId_LongerThanForty_IsFalse()
    {
        GrowlyticsClient.IsValidUserId(new string('u', 40)).Should().BeTrue();
        GrowlyticsClient.IsValidUserId(new string('u', 41)).Should().BeFalse();
    }

    [Theory]
    [InlineData("u-42")]
    [InlineData(null)]
    public void IsValidUserIdAndAnonymousId_True_TellTheCompilerTheIdIsNotNull(string? fromHeader)
    {
        // Compiled with nullable warnings as errors: without [NotNullWhen(true)] the guarded calls below warn (CS8604).
        using var client = new GrowlyticsClient(new GrowlyticsOptions { ApiKey = "key", Endpoint = new Uri("http://127.0.0.1:9/"), FlushOnProcessExit = false });
        if (GrowlyticsClient.IsValidUserId(fromHeader))
        {
            client.User.Identify(fromHeader);
        }

        var anonymousLength = 0;
        if (GrowlyticsClient.IsValidAnonymousId(fromHeader))
        {
            string anonymousId = fromHeader;
            anonymousLength = anonymousId.Length;
        }

        client.User.UserId.Should().Be(fromHeader);
        anonymousLength.Should().Be(fromHeader?.Length ?? 0);
    }
}
