using System.Net;
using System.Text;
using GrowlyticsSamples.Quickstart;
using GrowlyticsSdk.Protocols.Rest;

namespace GrowlyticsSdk.IntegrationTests.Samples;

/// <summary>The quickstart collector's <c>POST /rest-api/customer</c>: the documented answers, read by the SDK's REST protocol.</summary>
public sealed class QuickstartCustomerEndpointTests
{
    private static readonly string LongName = new('n', 50);
    private static readonly string ManyAttributes = string.Join(",", Enumerable.Range(0, 101).Select(i => $"{{\"name\":\"a{i}\",\"type\":\"number\",\"value\":{i}}}"));

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { "{\"attributes\":[]}", "id", "any.required" },
        { "{\"id\":\"01234567890123456789012345678901234567890\",\"attributes\":[]}", "id", "string.max" },
        { "{\"id\":\"u-1\",\"attributes\":[{\"name\":\"" + LongName + "\",\"type\":\"string\",\"value\":\"x\"}]}", "attributes.0.name", "string.max" },
        { "{\"id\":\"u-1\",\"attributes\":[" + ManyAttributes + "]}", "attributes", "array.max" },
        { "{\"id\":\"u-1\",\"attributes\":[{\"name\":\"a\",\"type\":\"number\",\"value\":\"Secret-Value\"}]}", "attributes.0.value", "number.base" },
        { "{\"id\":\"u-1\",\"attributes\":[{\"name\":\"a\",\"type\":\"blob\",\"value\":1}]}", "attributes.0.type", "any.only" },
    };

    [Fact]
    public async Task Post_ValidUpsertWithKey_Answers200SuccessAndRecordsIt()
    {
        await using var collector = await LocalCollector.StartAsync();

        using var response = await PostAsync(collector, "{\"id\":\"u-1\",\"attributes\":[{\"name\":\"seen\",\"type\":\"date\",\"value\":\"2026-01-02 03:04:05\"}]}", withKey: true);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("{\"success\":true}");
        collector.Customers.Should().ContainSingle().Which.GetProperty("id").GetString().Should().Be("u-1");
        collector.Requests.Should().ContainSingle().Which.Path.Should().Be("/rest-api/customer");
    }

    [Fact]
    public async Task Post_WithoutKey_Answers401()
    {
        await using var collector = await LocalCollector.StartAsync();

        using var response = await PostAsync(collector, "{\"id\":\"u-1\",\"attributes\":[]}", withKey: false);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        collector.Customers.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Post_InvalidBody_Answers422JoiStyleThatTheRestProtocolReads(string body, string path, string type)
    {
        await using var collector = await LocalCollector.StartAsync();

        using var response = await PostAsync(collector, body, withKey: true);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var details = await new RestProtocol(new GrowlyticsOptions()).ReadRejectionAsync(response, [Encoding.UTF8.GetBytes(body)], CancellationToken.None);
        (details!.Path, details.Type).Should().Be((path, type));
        collector.Customers.Should().BeEmpty();
    }

    private static async Task<HttpResponseMessage> PostAsync(LocalCollector collector, string body, bool withKey)
    {
        using var http = new HttpClient();
        var protocol = new RestProtocol(new GrowlyticsOptions { Endpoint = collector.Endpoint });
        using var request = protocol.CreateRequest([Encoding.UTF8.GetBytes(body)], DateTimeOffset.UnixEpoch);
        if (withKey)
        {
            request.Headers.Add("x-growlytics-key", "k");
        }

        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
