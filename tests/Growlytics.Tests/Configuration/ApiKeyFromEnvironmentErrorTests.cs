using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// A key that came from GROWLYTICS_API_KEY and breaks the key rule is reported as coming from that variable (as an
/// endpoint from GROWLYTICS_ENDPOINT is): code and configuration left the key unset, so "GrowlyticsOptions.ApiKey" alone
/// would send the developer to the wrong place. The message never holds the key.
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
