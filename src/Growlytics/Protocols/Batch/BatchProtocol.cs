using System.Net.Http.Headers;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Protocols.Batch;

/// <summary>
/// The SDK's own batch body (docs/wire-protocol.md, "Batch"): up to <see cref="GrowlyticsOptions.MaxBatchSize"/> messages
/// in one gzip envelope, posted to <c>{Endpoint}events/sdk-batch</c>. Messages are keyed by their session's anonymous id,
/// so a session's login, updates and logout stay in call order.
/// </summary>
internal sealed class BatchProtocol : IWireProtocol
{
    /// <summary>The path appended to <see cref="GrowlyticsOptions.Endpoint"/>.</summary>
    public const string Path = "events/sdk-batch";

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly Task<RejectionDetails?> NoDetails = Task.FromResult<RejectionDetails?>(null);
    private static readonly Task<bool> NotRefused = Task.FromResult(false);
    private readonly Uri _uri;

    public BatchProtocol(GrowlyticsOptions options)
    {
        _uri = ProtocolUris.Resolve(options.Endpoint, Path);
        MaxMessagesPerRequest = options.MaxBatchSize;
        MaxRequestBytes = options.MaxBatchBytes - BatchBody.EnvelopeOverhead;
    }

    public int MaxMessagesPerRequest { get; }

    public int MaxRequestBytes { get; }

    public bool WaitsToFill => true;

    /// <summary>Gets the request address, <c>{Endpoint}events/sdk-batch</c>.</summary>
    public Uri RequestUri => _uri;

    // A stateless customer update has no anonymous id: it is keyed by its customer.
    public string PartitionKey(UserMessage message) => message.AnonymousId ?? message.UserId ?? string.Empty;

    public bool CanSend(UserMessage message) => true;

    public void Write(UserMessage message, ByteBufferWriter destination) => MessageJsonWriter.Append(message, destination);

    public HttpRequestMessage CreateRequest(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset now)
    {
        // The messages are copied into the body and compressed: nothing here refers to their memory. On .NET 8+ the body's
        // buffer goes back to be reused when the request is disposed.
#if NET8_0_OR_GREATER
        var content = BatchBody.BuildContent(messages, now);
#else
        var content = new ByteArrayContent(BatchBody.Build(messages, now));
#endif
        content.Headers.ContentType = JsonContentType;
        content.Headers.ContentEncoding.Add("gzip");
        return new HttpRequestMessage(HttpMethod.Post, _uri) { Content = content };
    }

    // Only the status matters: no body is read.
    public int AnswerBytesToRead(int status) => 0;

    // The batch protocol defines no refusal body: only the status matters.
    public Task<RejectionDetails?> ReadRejectionAsync(HttpResponseMessage response, IReadOnlyList<ReadOnlyMemory<byte>> sent, CancellationToken cancellationToken) => NoDetails;

    // The batch endpoint documents no success body: its status alone says whether the batch was taken.
    public Task<bool> IsRefusedDespiteSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken) => NotRefused;
}
