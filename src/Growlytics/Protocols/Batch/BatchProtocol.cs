using System.Net.Http.Headers;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Protocols.Batch;

/// <summary>
/// The SDK's own batch body: <c>POST {Endpoint}events/sdk-batch</c>, up to <see cref="GrowlyticsOptions.MaxBatchSize"/>
/// messages and <see cref="GrowlyticsOptions.MaxBatchBytes"/> of JSON per request, gzip. Messages are partitioned by
/// session (anonymous id), so a session's updates, login and logout stay in order.
/// </summary>
internal sealed class BatchProtocol : IWireProtocol
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private readonly Uri _uri;

    public BatchProtocol(GrowlyticsOptions options)
    {
        _uri = new Uri(WireProtocols.BaseOf(options.Endpoint), "events/sdk-batch");
        MaxMessagesPerRequest = options.MaxBatchSize;
        MaxRequestBytes = options.MaxBatchBytes - BatchBody.EnvelopeOverhead;
    }

    public int MaxMessagesPerRequest { get; }

    public int MaxRequestBytes { get; }

    public bool WaitsToFill => true;

    public string PartitionKey(UserMessage message) => message.AnonymousId ?? message.UserId ?? string.Empty;

    public byte[] Serialize(UserMessage message, ByteBufferWriter buffer) => MessageJsonWriter.Serialize(message, buffer);

    public HttpRequestMessage CreateRequest(IReadOnlyList<byte[]> messages, DateTimeOffset now)
    {
        var content = new ByteArrayContent(BatchBody.Build(messages, now));
        content.Headers.ContentType = JsonContentType;
        content.Headers.ContentEncoding.Add("gzip");
        return new HttpRequestMessage(HttpMethod.Post, _uri) { Content = content };
    }

    public Task<RejectionDetails?> ReadRejectionAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        Task.FromResult<RejectionDetails?>(null);
}
