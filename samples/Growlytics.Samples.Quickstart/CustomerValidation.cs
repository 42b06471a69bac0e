using System.Globalization;
using System.Text.Json;

namespace GrowlyticsSamples.Quickstart;

/// <summary>
/// The documented rules of <c>POST /rest-api/customer</c>, answered in Growlytics' Joi-style 422 shape
/// (<c>{"type":"ValidationError","details":[{"message","path","type","context"}]}</c>). Like the real service's, the
/// messages name the field, not its value.
/// </summary>
public static class CustomerValidation
{
    /// <summary>Attribute names must be shorter than this.</summary>
    public const int NameLimit = 50;

    /// <summary>The most attributes one customer request may carry.</summary>
    public const int MaxAttributes = 100;

    /// <summary>The longest customer id.</summary>
    public const int MaxIdLength = 40;

    private static readonly string[] Types = ["string", "number", "boolean", "date"];

    /// <summary>Checks one request body.</summary>
    /// <returns>The first problem, or <see langword="null"/> when the body is valid.</returns>
    public static ValidationDetailDto? Validate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Detail("\"value\" must be of type object", [], "object.base", null);
        }

        if (!body.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString()!.Length == 0)
        {
            return Detail("\"id\" is required", ["id"], "any.required", null);
        }

        if (id.GetString()!.Length > MaxIdLength)
        {
            return Detail($"\"id\" length must be less than or equal to {MaxIdLength} characters long", ["id"], "string.max", MaxIdLength);
        }

        if (!body.TryGetProperty("attributes", out var attributes) || attributes.ValueKind != JsonValueKind.Array)
        {
            return Detail("\"attributes\" must be an array", ["attributes"], "array.base", null);
        }

        if (attributes.GetArrayLength() > MaxAttributes)
        {
            return Detail($"\"attributes\" must contain less than or equal to {MaxAttributes} items", ["attributes"], "array.max", MaxAttributes);
        }

        var index = 0;
        foreach (var attribute in attributes.EnumerateArray())
        {
            if (ValidateAttribute(attribute, index++) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static ValidationDetailDto? ValidateAttribute(JsonElement attribute, int index)
    {
        if (!attribute.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
        {
            return Detail("\"name\" is required", ["attributes", index, "name"], "any.required", null);
        }

        if (name.GetString()!.Length >= NameLimit)
        {
            return Detail($"\"name\" length must be less than {NameLimit} characters long", ["attributes", index, "name"], "string.max", NameLimit - 1);
        }

        if (!attribute.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !Types.Contains(type.GetString()))
        {
            return Detail("\"type\" must be one of [string, number, boolean, date]", ["attributes", index, "type"], "any.only", null);
        }

        if (!attribute.TryGetProperty("value", out var value) || !Matches(type.GetString()!, value))
        {
            return Detail($"\"value\" must be a valid {type.GetString()}", ["attributes", index, "value"], type.GetString() + ".base", null);
        }

        return null;
    }

    private static bool Matches(string type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        _ => value.ValueKind == JsonValueKind.String
            && DateTime.TryParseExact(value.GetString(), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
    };

    private static ValidationDetailDto Detail(string message, object[] path, string type, int? limit) =>
        new(message, [.. path.Select(p => p is int i ? JsonSerializer.SerializeToElement(i, CollectorJsonContext.Default.Int32) : JsonSerializer.SerializeToElement((string)p, CollectorJsonContext.Default.String))],
            type, new ValidationContextDto(limit, path.Length > 0 ? path[^1].ToString() : null));
}
