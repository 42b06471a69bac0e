using System.Text.Json;

namespace GrowlyticsSdk.Serialization;

/// <summary>
/// The fixed property names and <c>type</c> values of the wire format, encoded to UTF-8 once, so the writer
/// copies bytes instead of transcoding and escape-checking the same names for every message.
/// </summary>
internal static class JsonNames
{
    public static readonly JsonEncodedText Type = Encode("type");
    public static readonly JsonEncodedText MessageId = Encode("messageId");
    public static readonly JsonEncodedText EventTimestamp = Encode("eventTimestamp");
    public static readonly JsonEncodedText AnonymousId = Encode("anonymousId");
    public static readonly JsonEncodedText Calls = Encode("calls");
    public static readonly JsonEncodedText UserId = Encode("userId");
    public static readonly JsonEncodedText Attributes = Encode("attributes");
    public static readonly JsonEncodedText Name = Encode("name");
    public static readonly JsonEncodedText Value = Encode("value");

    public static readonly JsonEncodedText Update = Encode("update");
    public static readonly JsonEncodedText Login = Encode("login");
    public static readonly JsonEncodedText Logout = Encode("logout");

    public static readonly JsonEncodedText String = Encode("string");
    public static readonly JsonEncodedText Number = Encode("number");
    public static readonly JsonEncodedText Boolean = Encode("boolean");
    public static readonly JsonEncodedText Date = Encode("date");

    private static JsonEncodedText Encode(string text) => JsonEncodedText.Encode(text, MessageJsonWriter.WriterOptions.Encoder);
}
