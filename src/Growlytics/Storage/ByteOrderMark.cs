namespace GrowlyticsSdk.Storage;

/// <summary>
/// The UTF-8 byte order mark an editor, a backup tool or Windows PowerShell's <c>Set-Content -Encoding UTF8</c> may put
/// at the start of a JSON file the SDK wrote without one (<c>session.json</c>, <c>privacy.json</c>). RFC 8259 (section
/// 8.1) lets a reader ignore it; <see cref="System.Text.Json.JsonDocument"/> refuses it when given bytes, which read a
/// file holding a good session or choice as damage.
/// </summary>
internal static class ByteOrderMark
{
    /// <summary>Gets <paramref name="json"/> without the mark it starts with, if any.</summary>
    public static ReadOnlyMemory<byte> Skip(byte[] json) =>
        json.Length >= 3 && json[0] == 0xEF && json[1] == 0xBB && json[2] == 0xBF ? json.AsMemory(3) : json;

    /// <summary>
    /// Gets a value indicating whether <paramref name="json"/> holds nothing but JSON whitespace (space, tab, line breaks)
    /// after the mark, if any: an empty file as a tool that empties one leaves it (PowerShell's <c>Set-Content -Encoding
    /// UTF8</c> with an empty value writes a mark and a line break), to be read as an empty file is.
    /// </summary>
    public static bool IsBlank(byte[] json)
    {
        foreach (var b in Skip(json).Span)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }
}
