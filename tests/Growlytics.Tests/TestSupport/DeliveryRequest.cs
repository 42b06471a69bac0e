using System.Net.Http.Headers;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>One batch request as the mock collector saw it: when (on the fake clock), where, headers and the decompressed body.</summary>
internal sealed class DeliveryRequest
{
    private DeliveryRequest(int index, DateTimeOffset at, HttpRequestMessage request, byte[] rawBody, string json)
    {
        Index = index;
        At = at;
        Method = request.Method;
        Uri = request.RequestUri!;
        Headers = request.Headers;
        ContentHeaders = request.Content!.Headers;
        RawBody = rawBody;
        Json = json;
        using var document = JsonDocument.Parse(json);
        Body = document.RootElement.Clone();
        MessageIds = Body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("messageId").GetString()!).ToList();
    }

    public int Index { get; }

    public DateTimeOffset At { get; }

    public HttpMethod Method { get; }

    public Uri Uri { get; }

    public HttpRequestHeaders Headers { get; }

    public HttpContentHeaders ContentHeaders { get; }

    public byte[] RawBody { get; }

    public string Json { get; }

    public JsonElement Body { get; }

    public IReadOnlyList<string> MessageIds { get; }

    /// <summary>Gets or sets the status the mock answered with; 0 while pending or when it threw.</summary>
    public int Status { get; set; }

    public IEnumerable<JsonElement> Messages => Body.GetProperty("messages").EnumerateArray();

    /// <summary>Gets the attribute <c>n</c> of every message (the tests number their messages with it).</summary>
    public IEnumerable<long> Numbers => Messages.Select(DeliveryHarness.NumberOf);

    public static async Task<DeliveryRequest> ReadAsync(int index, DateTimeOffset at, HttpRequestMessage request)
    {
        var raw = await request.Content!.ReadAsByteArrayAsync();
        return new DeliveryRequest(index, at, request, raw, WireBody.ReadJson(raw, gzip: true));
    }

    public override string ToString() => $"#{Index} at {At:HH:mm:ss.fff} -> {Status}: [{string.Join(",", Numbers)}]";

    public string Header(string name) =>
        Headers.TryGetValues(name, out var values) ? string.Join(" ", values)
        : ContentHeaders.TryGetValues(name, out var content) ? string.Join(" ", content)
        : string.Empty;
}
