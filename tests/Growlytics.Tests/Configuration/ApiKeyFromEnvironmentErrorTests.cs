using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Review;

/// <summary>
/// An endpoint that came from GROWLYTICS_ENDPOINT and breaks a rule is reported as such ("set from the
/// GROWLYTICS_ENDPOINT environment variable"); a key that came from GROWLYTICS_API_KEY and breaks the key rule is reported
/// as GrowlyticsOptions.ApiKey only, which code and configuration left unset: the message sends the developer to the
/// wrong place.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class ApiKeyFromEnvironmentErrorTests : IDisposable
{
    public void Dispose() => Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);

    [Fact]
    public void Constructor_KeyVariableBreaksTheKeyRule_TheErrorSaysWhereTheKeyCameFrom()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", "gk_live \"quoted\" key");

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { FlushOnProcessExit = false }, startDelivery: false);

        act.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("GROWLYTICS_API_KEY").And.NotContain("quoted");
    }
}
