using System.Net;
using System.Net.Http.Headers;
using GrowlyticsSamples.Quickstart;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Samples;

/// <summary>The README's first command, run in-process: the quickstart's flow against its embedded collector.</summary>
public sealed class QuickstartTests
{
    [Fact]
    public async Task RunLocalAsync_NoConfiguration_CollectorReceivesTheFlowAndExitCodeIsZero()
    {
        using var output = new StringWriter();

        var exitCode = await QuickstartApp.RunLocalAsync(output);

        var text = output.ToString();
        exitCode.Should().Be(0, text);
        // The default protocol is REST: the anonymous push travels with the login's one upsert, and a logout sends nothing.
        text.Should().Contain("received 1 request(s)")
            .And.Contain("POST /rest-api/customer -> 200")
            .And.Contain("\"id\":\"THE_USER_ID_IN_YOUR_APP\"")
            .And.Contain("{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"}")
            .And.Contain("{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":30000}")
            .And.Contain("enqueued 2, delivered 2, dropped 0, pending 0")
            .And.NotContain(QuickstartApp.LocalApiKey);
    }

    [Fact]
    public void WasReceived_LogoutMissing_IsFalse()
    {
        MessageDto[] messages =
        [
            new("update", "m1", 0, "anon", null, []),
            new("login", "m2", 0, "anon", QuickstartFlow.UserId, []),
        ];

        QuickstartFlow.WasReceived(messages).Should().BeFalse();
        QuickstartFlow.WasReceived([.. messages, new("logout", "m3", 0, "anon", QuickstartFlow.UserId, null)]).Should().BeTrue();
    }

    [Theory]
    [InlineData(false, true, HttpStatusCode.Unauthorized)]
    [InlineData(true, false, HttpStatusCode.UnsupportedMediaType)]
    [InlineData(true, true, HttpStatusCode.OK)]
    public async Task LocalCollector_Request_ChecksKeyAndGzip(bool withKey, bool gzip, HttpStatusCode expected)
    {
        await using var collector = await LocalCollector.StartAsync();
        using var http = new HttpClient();
        var json = """{"sentAt":1,"messages":[{"type":"update","messageId":"m1","eventTimestamp":1,"anonymousId":"a","userId":null,"attributes":[]}]}"""u8.ToArray();
        using var content = new ByteArrayContent(gzip ? WireBody.Gzip(json) : json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(collector.Endpoint, "events/sdk-batch")) { Content = content };
        if (withKey)
        {
            request.Headers.Add("x-growlytics-key", "k");
        }

        using var response = await http.SendAsync(request);

        response.StatusCode.Should().Be(expected);
        collector.Messages.Should().HaveCount(expected == HttpStatusCode.OK ? 1 : 0);
    }
}
