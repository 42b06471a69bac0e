using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.AotSmoke;

/// <summary>
/// One message as the collector accepted it: a batch message (<see cref="Type"/> <c>update</c>, <c>login</c> or
/// <c>logout</c>) or a REST upsert (<see cref="Type"/> <c>upsert</c>, its customer id as <see cref="UserId"/>).
/// <see cref="Attributes"/> holds each attribute as <c>name:type=value</c>.
/// </summary>
internal sealed record Received(string Key, string Path, string Type, string? UserId, string? AnonymousId, IReadOnlySet<string> Attributes, int RequestSize);

/// <summary>
/// A collector on 127.0.0.1 (HttpListener: no Kestrel to compile) that answers both wire protocols as
/// docs/wire-protocol.md describes them: <c>POST /events/sdk-batch</c> (gzip JSON batch, <c>200 {"accepted": n}</c>) and
/// <c>POST /rest-api/customer</c> (one JSON customer, not compressed, <c>200 {"success": true}</c>). A request that breaks
/// the protocol is answered 400 and noted in <see cref="Problems"/>; while <see cref="Unavailable"/> every request gets 503.
/// </summary>
internal sealed class SmokeCollector : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<Received> _received = [];
    private readonly List<string> _problems = [];
    private readonly Task _receiving;
    private int _refused;

    public SmokeCollector()
    {
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _receiving = Task.Run(ReceiveAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>Gets or sets a value indicating whether every request is answered 503 (an outage).</summary>
    public bool Unavailable { get; set; }

    /// <summary>Gets the number of requests answered 503.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public IReadOnlyList<Received> ReceivedWith(string key)
    {
        lock (_received)
        {
            return [.. _received.Where(r => r.Key == key)];
        }
    }

    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems)
            {
                return [.. _problems];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _receiving;
        _listener.Close();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                await AnswerAsync(context);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or JsonException or InvalidDataException or InvalidOperationException or KeyNotFoundException)
            {
                Problem($"{context.Request.Url?.AbsolutePath}: {ex.GetType().Name} while reading the request");
                TryAnswer(context, 400, """{"error":"unreadable request"}""");
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url?.AbsolutePath ?? string.Empty;
        var body = await WireBody.ReadAllAsync(request.InputStream);
        if (Unavailable)
        {
            Interlocked.Increment(ref _refused);
            TryAnswer(context, 503, """{"error":"unavailable"}""");
            return;
        }

        var key = request.Headers["x-growlytics-key"];
        if (request.HttpMethod != "POST" || string.IsNullOrEmpty(key))
        {
            Problem($"{request.HttpMethod} {path} without x-growlytics-key or not a POST");
            TryAnswer(context, 401, """{"error":"missing x-growlytics-key header"}""");
            return;
        }

        var gzip = string.Equals(request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase);
        switch (path)
        {
            case "/events/sdk-batch" when !gzip:
                Problem("a batch without Content-Encoding: gzip");
                TryAnswer(context, 415, """{"error":"the body must be gzip"}""");
                return;
            case "/events/sdk-batch":
                var messages = WireBody.BatchMessages(body);
                lock (_received)
                {
                    _received.AddRange(messages.Select(m => new Received(
                        key, path, m.GetProperty("type").GetString()!, OptionalString(m, "userId"), OptionalString(m, "anonymousId"), Attributes(m), messages.Count)));
                }

                TryAnswer(context, 200, $$"""{"accepted":{{messages.Count}}}""");
                return;
            case "/rest-api/customer" when gzip || request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true:
                Problem("a REST upsert compressed or not application/json");
                TryAnswer(context, 400, """{"error":"expected uncompressed JSON"}""");
                return;
            case "/rest-api/customer":
                var customer = WireBody.RestCustomer(body);
                if (customer.GetProperty("id").GetString() is not { Length: > 0 } id || customer.TryGetProperty("anonymousId", out _) || customer.TryGetProperty("messageId", out _))
                {
                    Problem("a REST upsert without an id, or with batch fields");
                    TryAnswer(context, 400, """{"error":"expected {id, attributes}"}""");
                    return;
                }

                lock (_received)
                {
                    _received.Add(new Received(key, path, "upsert", id, null, Attributes(customer), 1));
                }

                TryAnswer(context, 200, """{"success":true}""");
                return;
            default:
                Problem($"a request to {path}");
                TryAnswer(context, 404, """{"error":"not found"}""");
                return;
        }
    }

    private static string? OptionalString(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static HashSet<string> Attributes(JsonElement owner)
    {
        var attributes = new HashSet<string>(StringComparer.Ordinal);
        if (owner.TryGetProperty("attributes", out var list))
        {
            foreach (var attribute in list.EnumerateArray())
            {
                var value = attribute.GetProperty("value");
                var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                attributes.Add($"{attribute.GetProperty("name").GetString()}:{attribute.GetProperty("type").GetString()}={text}");
            }
        }

        return attributes;
    }

    private void Problem(string problem)
    {
        lock (_problems)
        {
            _problems.Add(problem);
        }
    }

    private static void TryAnswer(HttpListenerContext context, int status, string json)
    {
        try
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The SDK gave up on the request (its timeout, a shutdown): nothing to answer.
        }
    }
}
