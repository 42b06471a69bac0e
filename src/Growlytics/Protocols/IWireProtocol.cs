using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Protocols;

/// <summary>
/// What differs between the wire protocols: how messages are keyed, grouped into requests and written, and how a
/// refusal is read. The delivery engine (partitions, concurrency, retry, settlement) is the same for both.
/// </summary>
internal interface IWireProtocol
{
    /// <summary>Gets the address requests are posted to.</summary>
    Uri RequestUri { get; }

    /// <summary>Gets the most messages one request carries (REST: 1).</summary>
    int MaxMessagesPerRequest { get; }

    /// <summary>Gets the most bytes of serialized messages one request carries.</summary>
    int MaxRequestBytes { get; }

    /// <summary>Gets a value indicating whether a request that is not full waits up to the flush interval to fill (Batch) or goes at once (REST).</summary>
    bool WaitsToFill { get; }

    /// <summary>Gets the key a message is partitioned by: messages with one key are never in two requests at once and are sent in call order.</summary>
    string PartitionKey(UserMessage message);

    /// <summary>Gets a value indicating whether the message has a form in this protocol (REST: not an anonymous update, a logout, or a message beyond the REST limits read back from storage).</summary>
    bool CanSend(UserMessage message);

    /// <summary>
    /// Appends one message, as it goes into a request, to <paramref name="destination"/> (Batch: its JSON object; REST: the
    /// whole upsert body). What was written before stays.
    /// </summary>
    void Write(UserMessage message, ByteBufferWriter destination);

    /// <summary>
    /// Builds the request carrying <paramref name="messages"/>, each written by <see cref="Write"/>. The sender adds the key
    /// and user agent. The messages' memory is reused once the request has been sent: the request must not keep it.
    /// </summary>
    HttpRequestMessage CreateRequest(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset now);

    /// <summary>
    /// Gets the most bytes of an answer's body with <paramref name="status"/> that this protocol reads (0: none). The
    /// sender reads that much, within the attempt's timeout, before the answer leaves the attempt; the rest of the body is
    /// never read, so an answer of any size costs no more memory or time than this.
    /// </summary>
    int AnswerBytesToRead(int status);

    /// <summary>
    /// Reads a 2xx answer's body: <see langword="true"/> when it says the request was not taken after all (REST:
    /// <c>{"success": false}</c>); never throws.
    /// </summary>
    Task<bool> IsRefusedDespiteSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken);

    /// <summary>
    /// Reads what may be logged of a refusal (4xx) body: never a value. <paramref name="sent"/> holds the refused request's
    /// messages, whose field names the refusal may name.
    /// </summary>
    Task<RejectionDetails?> ReadRejectionAsync(HttpResponseMessage response, IReadOnlyList<ReadOnlyMemory<byte>> sent, CancellationToken cancellationToken);
}
