using System.IO.Compression;
using System.Text.Json;

namespace GrowlyticsSdk.Testing.Wire;

/// <summary>
/// Reads the SDK's two wire protocols (docs/wire-protocol.md): a Batch request (gzip JSON <c>{messages: [...]}</c> at
/// <c>events/sdk-batch</c>) holds several calls; a REST request (JSON <c>{id, attributes}</c> at <c>rest-api/customer</c>) one.
/// </summary>
internal static class WireDecoder
{
    public const string BatchPath = "events/sdk-batch";
    public const string RestPath = "rest-api/customer";

    /// <returns>The calls, or <see langword="null"/> when the request is neither protocol.</returns>
    public static IReadOnlyList<RecordedCall>? Decode(string path, byte[] body, bool gzip)
    {
        if (path.EndsWith(BatchPath, StringComparison.Ordinal))
        {
            using var document = JsonDocument.Parse(gzip ? Gunzip(body) : body);
            return document.RootElement.GetProperty("messages").EnumerateArray().Select(ReadBatchMessage).ToList();
        }

        if (path.EndsWith(RestPath, StringComparison.Ordinal))
        {
            using var document = JsonDocument.Parse(gzip ? Gunzip(body) : body);
            var root = document.RootElement;
            return [new RecordedCall(RecordedCallType.CustomerUpsert, root.GetProperty("id").GetString(), null, ReadAttributes(root))];
        }

        return null;
    }

    private static RecordedCall ReadBatchMessage(JsonElement message)
    {
        var type = message.GetProperty("type").GetString() switch
        {
            "login" => RecordedCallType.Login,
            "logout" => RecordedCallType.Logout,
            _ => RecordedCallType.Update,
        };
        return new RecordedCall(type, OptionalString(message, "userId"), OptionalString(message, "anonymousId"), ReadAttributes(message));
    }

    private static List<RecordedAttribute> ReadAttributes(JsonElement owner)
    {
        var attributes = new List<RecordedAttribute>();
        if (owner.TryGetProperty("attributes", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray())
            {
                attributes.Add(new RecordedAttribute(item.GetProperty("name").GetString()!, item.GetProperty("type").GetString()!, item.GetProperty("value")));
            }
        }

        return attributes;
    }

    private static string? OptionalString(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Gunzip(byte[] body)
    {
        using var input = new MemoryStream(body);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
