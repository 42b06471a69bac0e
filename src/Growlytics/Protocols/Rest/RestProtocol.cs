using System.IO.Compression;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Protocols.Rest;

/// <summary>
/// Growlytics' documented customer API (docs/wire-protocol.md, "Rest"): one upsert
/// <c>{"id":"…","attributes":[{"name","type","value"}]}</c> per request, <c>POST {Endpoint}rest-api/customer</c>,
/// no compression. Messages are keyed by customer id, so a session's updates for a customer and a stateless
/// <c>Customers.Update</c> of the same customer never race.
/// </summary>
internal sealed class RestProtocol : IWireProtocol
{
    /// <summary>The path appended to <see cref="GrowlyticsOptions.Endpoint"/>.</summary>
    public const string Path = "rest-api/customer";

    /// <summary>The most bytes of a refusal body that are read; the documented body is a few hundred bytes.</summary>
    public const int MaxRejectionBytes = 16 * 1024;

    /// <summary>The most bytes of a success body that are read; the documented body is <c>{"success":true}</c>.</summary>
    public const int MaxSuccessBytes = 512;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue JsonAccept = new("application/json");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly Task<bool> NotRefused = Task.FromResult(false);
    private readonly Uri _uri;

    public RestProtocol(GrowlyticsOptions options)
    {
        _uri = ProtocolUris.Resolve(options.Endpoint, Path);
        MaxRequestBytes = options.MaxBatchBytes;
    }

    public int MaxMessagesPerRequest => 1;

    public int MaxRequestBytes { get; }

    public bool WaitsToFill => false;

    /// <summary>Gets the request address, <c>{Endpoint}rest-api/customer</c>.</summary>
    public Uri RequestUri => _uri;

    /// <summary>
    /// Whether the message can be written as an upsert: it names a customer and is not a logout. (The REST API has no
    /// anonymous profiles and no logout; the session layer never queues those under this protocol, but a store written
    /// under <see cref="GrowlyticsProtocol.Batch"/> may hold them.)
    /// </summary>
    public static bool CanExpress(UserMessage message) => message.UserId is not null && message.Type != MessageType.Logout;

    /// <summary>
    /// Whether the message can go out as an upsert within the REST API's limits: expressible (<see cref="CanExpress"/>),
    /// with 1 to 100 attributes, each named with fewer than 50 characters. Every message the calls queue under this
    /// protocol is; one written under <see cref="GrowlyticsProtocol.Batch"/> (or by 0.1.0) and read back from storage may not
    /// be (a login without attributes, up to 256 attributes, names up to 120 characters): it is not sent, as a request
    /// the documented API refuses (or, without attributes, a login the REST API has no form for).
    /// </summary>
    public bool CanSend(UserMessage message) => CanExpress(message) && IsWithinLimits(message.Attributes);

    private static bool IsWithinLimits(UserAttribute[] attributes)
    {
        if (attributes.Length is 0 or > AttributeRules.RestMaxAttributes)
        {
            return false;
        }

        foreach (var attribute in attributes)
        {
            if (attribute.Name.Length > AttributeRules.RestMaxNameLength)
            {
                return false;
            }
        }

        return true;
    }

    public string PartitionKey(UserMessage message) => message.UserId ?? message.AnonymousId ?? string.Empty;

    /// <exception cref="NotSupportedException">The message cannot be expressed in this protocol (see <see cref="CanExpress"/>).</exception>
    public void Write(UserMessage message, ByteBufferWriter destination)
    {
        if (!CanExpress(message))
        {
            throw new NotSupportedException("The REST protocol sends customer upserts only: an anonymous update or a logout has no REST form.");
        }

        var writer = destination.JsonWriter;
        writer.Reset(destination);
        writer.WriteStartObject();
        writer.WriteString(Id, message.UserId);
        writer.WriteStartArray(JsonNames.Attributes);
        foreach (var attribute in message.Attributes)
        {
            MessageJsonWriter.WriteAttribute(writer, attribute);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <exception cref="ArgumentException"><paramref name="messages"/> does not hold exactly one message.</exception>
    public HttpRequestMessage CreateRequest(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset now)
    {
        if (messages.Count != 1)
        {
            throw new ArgumentException("A REST request carries exactly one customer.", nameof(messages));
        }

        // Compression is not documented for this API, so the body goes as it is: a copy, since the message's memory is
        // reused once the request is sent (an HTTP stack may still read a body after the answer has come).
        var content = new ByteArrayContent(messages[0].ToArray());
        content.Headers.ContentType = JsonContentType;
        var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = content };
        request.Headers.Accept.Add(JsonAccept);
        return request;
    }

    public int AnswerBytesToRead(int status) => status switch
    {
        >= 200 and < 300 => MaxSuccessBytes,
        >= 400 and < 500 => MaxRejectionBytes,
        _ => 0,
    };

    // The documented success is 200 with {"success": true}; an answer that says "success": false took nothing. Any other
    // body (none, not JSON, no such property, unreadable) is a success, as the status says.
    public Task<bool> IsRefusedDespiteSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        response.Content?.Headers.ContentLength == 0
            ? NotRefused
            : ReadBodyAsync(response, MaxSuccessBytes, SuccessBody.SaysNotTaken, false, cancellationToken);

    // A body that cannot be read only means there is less to log. A REST request carries one message: its body.
    public Task<RejectionDetails?> ReadRejectionAsync(HttpResponseMessage response, IReadOnlyList<ReadOnlyMemory<byte>> sent, CancellationToken cancellationToken)
    {
        var body = sent.Count == 1 ? sent[0] : default;
        return ReadBodyAsync<RejectionDetails?>(response, MaxRejectionBytes, (answer, complete) => RejectionBody.Parse(answer, complete, body), null, cancellationToken);
    }

    private delegate T BodyParser<T>(ReadOnlySpan<byte> body, bool complete);

    // Reads at most maxBytes of the body and parses what it got; whatever goes wrong gives the fallback.
    private static async Task<T> ReadBodyAsync<T>(HttpResponseMessage response, int maxBytes, BodyParser<T> parse, T fallback, CancellationToken cancellationToken)
    {
        if (response.Content is null)
        {
            return fallback;
        }

        try
        {
#if NET8_0_OR_GREATER
            using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
#else
            using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
#endif
            var (bytes, length, complete) = response.Content.Headers.Contains("Content-Encoding") && IsGzip(response.Content.Headers.ContentEncoding)
                ? await ReadGzipBoundedAsync(stream, maxBytes, response.Content.Headers.ContentLength, cancellationToken).ConfigureAwait(false)
                : await ReadBoundedAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false);
            return parse(WithoutByteOrderMark(new ReadOnlySpan<byte>(bytes, 0, length)), complete);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // An unreadable body is reported as the fallback.
        catch (Exception)
#pragma warning restore CA1031
        {
            return fallback;
        }
    }

    // A JSON text may start with a UTF-8 byte order mark (RFC 8259 section 8.1 lets readers ignore it); the JSON reader
    // refuses one, which would have read a refusal behind it as a success.
    private static ReadOnlySpan<byte> WithoutByteOrderMark(ReadOnlySpan<byte> body) =>
        body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? body.Slice(3) : body;

    // The SDK's requests carry no Accept-Encoding, which lets a server use any coding (RFC 9110, section 12.5.3); a gzip
    // answer (one a proxy compressed, say) is read decompressed, so its {"success": false} or refusal is not lost.
    private static bool IsGzip(ICollection<string> codings)
    {
        if (codings.Count != 1)
        {
            return false;
        }

        var coding = codings.First();
        return string.Equals(coding, "gzip", StringComparison.OrdinalIgnoreCase) || string.Equals(coding, "x-gzip", StringComparison.OrdinalIgnoreCase);
    }

    // At most maxBytes of the decompressed body, whatever it expands to; a compressed body cut short (the sender keeps at
    // most maxBytes of it) gives what it decompressed to, as incomplete. GZipStream ends a cut stream without an error,
    // and a body that hardly compresses decompresses to less than maxBytes: a kept body that filled the sender's limit
    // may have been cut, so it is read as incomplete (a refusal's field and rule before the cut are kept).
    private static async Task<(byte[] Bytes, int Length, bool Complete)> ReadGzipBoundedAsync(Stream compressed, int maxBytes, long? compressedLength, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxBytes];
        var progress = new StrongBox<int>(0);
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            var length = await BoundedReads.ReadAtMostAsync(gzip, buffer, cancellationToken, progress).ConfigureAwait(false);
            return (buffer, length, length < maxBytes && compressedLength < maxBytes);
        }
        catch (InvalidDataException)
        {
            return (buffer, progress.Value, false);
        }
    }

    private static async Task<(byte[] Bytes, int Length, bool Complete)> ReadBoundedAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        // Full: the body may go on; what was read is parsed as far as it goes, and the rest is never read.
        var buffer = new byte[maxBytes];
        var length = await BoundedReads.ReadAtMostAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
        return (buffer, length, length < maxBytes);
    }
}
