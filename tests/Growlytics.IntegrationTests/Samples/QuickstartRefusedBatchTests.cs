using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using GrowlyticsSamples.Quickstart;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Samples;

/// <summary>
/// The quickstart collector's <c>POST /events/sdk-batch</c> refusals: <see cref="LocalCollector.Requests"/> lists "every
/// request received so far (both endpoints, accepted or not)", and <c>--serve</c> prints each one (README: "it prints every
/// request"), as the customer endpoint's refusals are. A batch refused for a missing key, a body that is not gzip or not a
/// batch was answered but neither listed nor printed: a relay that strips the key or the encoding showed nothing at all.
/// </summary>
public sealed class QuickstartRefusedBatchTests
{
    private static readonly byte[] Batch = """{"sentAt":1,"messages":[{"type":"update","messageId":"m1","eventTimestamp":1,"anonymousId":"a","userId":null,"attributes":[]}]}"""u8.ToArray();

    public static TheoryData<bool, bool, string, HttpStatusCode> Refused => new()
    {
        { false, true, "batch", HttpStatusCode.Unauthorized },
        { true, false, "batch", HttpStatusCode.UnsupportedMediaType },
        { true, true, "not json", HttpStatusCode.BadRequest },
        { true, true, "{}", HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task RefusedBatch_IsListedAndReportedLikeEveryRequest(bool withKey, bool gzip, string body, HttpStatusCode expected)
    {
        var reported = new ConcurrentQueue<ReceivedRequest>();
        await using var collector = await LocalCollector.StartAsync(onRequest: reported.Enqueue);
        var json = body == "batch" ? Batch : System.Text.Encoding.UTF8.GetBytes(body);
        using var http = new HttpClient();
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
        collector.Batches.Should().BeEmpty();
        collector.Requests.Should().ContainSingle().Which.Should().Be(new ReceivedRequest("/events/sdk-batch", (int)expected, string.Empty));
        reported.Should().ContainSingle().Which.Status.Should().Be((int)expected);
    }
}
