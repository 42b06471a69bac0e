using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using GrowlyticsSamples.Quickstart;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// One <c>POST /rest-api/customer</c> as the collector saw it: headers (names in lower case), body, answer, and the
/// upsert's customer id and attributes (name and raw JSON value, in the order sent) when the body has them.
/// </summary>
public sealed record RestRequest(
    string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, int Status, string? Id, IReadOnlyList<KeyValuePair<string, string>> Attributes)
{
    /// <summary>Gets the attributes by name; a name sent twice in one upsert throws.</summary>
    public IReadOnlyDictionary<string, string> AttributeMap => Attributes.ToDictionary(a => a.Key, a => a.Value);
}

/// <summary>
/// Growlytics' customer API on Kestrel at 127.0.0.1: <c>POST /rest-api/customer</c> with the documented validation (the
/// quickstart collector's <see cref="CustomerValidation"/>: id, attribute names, types, at most 100 attributes, answered
/// with a Joi-style 422) and a key check (401). <see cref="RefusedAttribute"/> makes it refuse one attribute by name the
/// way a Joi schema does, echoing the value in <c>context.value</c> as the documented example does, so a test can check
/// that the SDK never repeats it. Records every request in arrival order.
/// </summary>
public sealed class RestCollector : IAsyncDisposable
{
    public const string ApiKey = "rest-it-key";
    private readonly ConcurrentQueue<RestRequest> _requests = new();
    private readonly WebApplication _app;
    private int _arrivals;

    private RestCollector(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets or sets an attribute name the collector refuses with a 422 (<c>any.invalid</c> on its value).</summary>
    public string? RefusedAttribute { get; set; }

    /// <summary>Gets every request, in arrival order.</summary>
    public IReadOnlyList<RestRequest> Requests => [.. _requests];

    /// <summary>Gets the accepted (200) upserts, in arrival order.</summary>
    public IReadOnlyList<RestRequest> Upserts => [.. _requests.Where(r => r.Status == 200)];

    /// <summary>Gets or sets a task every request waits for before it is answered (to hold requests in flight).</summary>
    public Task? Gate { get; set; }

    /// <summary>
    /// Gets or sets what chooses the status of a valid upsert from its customer id: a status returned answers the
    /// request instead of 200 (to make chosen customers' requests fail); <see langword="null"/> accepts it.
    /// </summary>
    public Func<string, int?>? StatusFor { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether answers are sent gzip-compressed (<c>Content-Encoding: gzip</c>), as a
    /// server may do when a request says nothing of the codings it accepts (RFC 9110, section 12.5.3).
    /// </summary>
    public bool GzipAnswers { get; set; }

    /// <summary>Gets the requests that reached the collector, answered or not (one the client gave up on while it waited is counted too).</summary>
    public int Arrivals => Volatile.Read(ref _arrivals);

    /// <summary>Gets or sets how long each request takes to answer once its body is read (a slow service).</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>Called for each accepted upsert on the request's thread, before it is answered.</summary>
    public Action<JsonElement>? OnUpsert { get; set; }

    public static async Task<RestCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var collector = new RestCollector(app);
        app.MapPost("/rest-api/customer", (RequestDelegate)collector.ReceiveAsync);
        await app.StartAsync();
        collector.Endpoint = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        Interlocked.Increment(ref _arrivals);
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        if (Gate is { } gate)
        {
            await gate.WaitAsync(context.RequestAborted);
        }

        if (AnswerDelay > TimeSpan.Zero)
        {
            await Task.Delay(AnswerDelay, context.RequestAborted);
        }

        var (status, answer) = Answer(headers, body);
        if (status == 200 && OnUpsert is { } onUpsert)
        {
            using var document = JsonDocument.Parse(body);
            onUpsert(document.RootElement);
        }

        var (id, attributes) = ReadUpsert(body);
        _requests.Enqueue(new RestRequest(request.Method, request.Path.Value ?? string.Empty, headers, body, status, id, attributes));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (GzipAnswers)
        {
            context.Response.Headers.ContentEncoding = "gzip";
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(Encoding.UTF8.GetBytes(answer));
            }

            await context.Response.Body.WriteAsync(compressed.ToArray(), context.RequestAborted);
            return;
        }

        await context.Response.WriteAsync(answer, context.RequestAborted);
    }

    private (int Status, string Body) Answer(Dictionary<string, string> headers, string body)
    {
        if (!headers.TryGetValue("x-growlytics-key", out var key) || key != ApiKey)
        {
            return (401, "{\"error\":\"missing or wrong x-growlytics-key header\"}");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (400, "{\"error\":\"the body is not JSON\"}");
        }

        if (CustomerValidation.Validate(root) is { } problem)
        {
            var error = new ValidationErrorDto("ValidationError", [problem]);
            return (422, JsonSerializer.Serialize(error, CollectorJsonContext.Default.ValidationErrorDto));
        }

        if (RefusedAttribute is { } refused)
        {
            var index = 0;
            foreach (var attribute in root.GetProperty("attributes").EnumerateArray())
            {
                if (attribute.GetProperty("name").GetString() == refused)
                {
                    return (422, JoiRefusal(index, attribute.GetProperty("value")));
                }

                index++;
            }
        }

        if (StatusFor?.Invoke(root.GetProperty("id").GetString()!) is { } chosen)
        {
            return (chosen, "{\"success\":false}");
        }

        return (200, "{\"success\":true}");
    }

    private static (string? Id, IReadOnlyList<KeyValuePair<string, string>> Attributes) ReadUpsert(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var id = root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
            var attributes = root.TryGetProperty("attributes", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(a => new KeyValuePair<string, string>(a.GetProperty("name").GetString()!, a.GetProperty("value").GetRawText())).ToList()
                : [];
            return (id, attributes);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return (null, []);
        }
    }

    // The documented Joi shape, echoing the refused value in the message and in context.value as Joi does.
    private static string JoiRefusal(int index, JsonElement value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "ValidationError");
            writer.WriteStartArray("details");
            writer.WriteStartObject();
            writer.WriteString("message", $"\"value\" contains an invalid value {value.GetRawText()}");
            writer.WriteStartArray("path");
            writer.WriteStringValue("attributes");
            writer.WriteNumberValue(index);
            writer.WriteStringValue("value");
            writer.WriteEndArray();
            writer.WriteString("type", "any.invalid");
            writer.WriteStartObject("context");
            writer.WritePropertyName("value");
            value.WriteTo(writer);
            writer.WriteString("label", "value");
            writer.WriteString("key", "value");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
