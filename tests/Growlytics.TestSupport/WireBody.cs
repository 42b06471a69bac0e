using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace GrowlyticsSdk.TestSupport;

/// <summary>
/// Reads request bodies as the SDK sends them (docs/wire-protocol.md): a batch body is gzip JSON
/// <c>{sentAt, sdk, messages: [...]}</c>; a REST body is JSON <c>{id, attributes}</c>, gzip only when its
/// Content-Encoding says so. The one decoder the test projects use.
/// </summary>
public static class WireBody
{
    /// <summary>The body's bytes, decompressed when <paramref name="gzip"/> (the request's Content-Encoding was gzip).</summary>
    public static byte[] Decode(byte[] body, bool gzip)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!gzip)
        {
            return body;
        }

        using var input = new MemoryStream(body);
        using var decompressed = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decompressed.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The body as JSON text.</summary>
    public static string ReadJson(byte[] body, bool gzip) => Encoding.UTF8.GetString(Decode(body, gzip));

    /// <summary>The messages of a batch body (always gzip), detached from the parsed document.</summary>
    public static IReadOnlyList<JsonElement> BatchMessages(byte[] body)
    {
        using var document = JsonDocument.Parse(Decode(body, gzip: true));
        return document.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.Clone()).ToList();
    }

    /// <summary>The <c>{id, attributes}</c> object of a REST customer body, detached from the parsed document.</summary>
    public static JsonElement RestCustomer(byte[] body, bool gzip = false)
    {
        using var document = JsonDocument.Parse(Decode(body, gzip));
        return document.RootElement.Clone();
    }

    /// <summary>The attributes of a message or REST customer as name → JSON text of the value (strings unquoted).</summary>
    public static IReadOnlyDictionary<string, string> Attributes(JsonElement owner)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (owner.TryGetProperty("attributes", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var attribute in list.EnumerateArray())
            {
                attributes[attribute.GetProperty("name").GetString()!] = attribute.GetProperty("value").ToString();
            }
        }

        return attributes;
    }

    /// <summary>Compresses <paramref name="data"/> as the SDK does for a batch, for tests that post to a collector.</summary>
    public static byte[] Gzip(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Reads a whole request body stream.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
