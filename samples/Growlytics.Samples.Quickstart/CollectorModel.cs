using System.Text.Json;
using System.Text.Json.Serialization;

namespace GrowlyticsSamples.Quickstart;

/// <summary>The body of <c>POST /events/sdk-batch</c> (see docs/wire-protocol.md).</summary>
public sealed record BatchDto(long SentAt, SdkDto? Sdk, DeviceDto? Device, IReadOnlyList<MessageDto>? Messages);

/// <summary>The SDK that sent a batch.</summary>
public sealed record SdkDto(string? Name, string? Version);

/// <summary>The device a batch comes from.</summary>
public sealed record DeviceDto(string? Platform, string? OsName, string? OsVersion);

/// <summary>One user message: <c>update</c>, <c>login</c> or <c>logout</c>.</summary>
public sealed record MessageDto(
    string Type, string MessageId, long EventTimestamp, string? AnonymousId, string? UserId, IReadOnlyList<AttributeDto>? Attributes);

/// <summary>One user attribute; <see cref="Type"/> is <c>string</c>, <c>number</c>, <c>boolean</c> or <c>date</c>.</summary>
public sealed record AttributeDto(string Name, string Type, JsonElement Value);

/// <summary>The collector's answer to a batch it accepted.</summary>
public sealed record AcceptedDto(int Accepted);

/// <summary>The collector's answer to a request it refused.</summary>
public sealed record ErrorDto(string Error);

/// <summary>One request the collector received: its path, status and (uncompressed) body, for printing.</summary>
public sealed record ReceivedRequest(string Path, int Status, string Body);

/// <summary>The answer to an accepted <c>POST /rest-api/customer</c>.</summary>
public sealed record SuccessDto(bool Success);

/// <summary>The Joi-style 422 body of <c>POST /rest-api/customer</c>.</summary>
public sealed record ValidationErrorDto(string Type, IReadOnlyList<ValidationDetailDto> Details);

/// <summary>One validation problem: the field (<see cref="Path"/>) and the rule (<see cref="Type"/>).</summary>
public sealed record ValidationDetailDto(string Message, IReadOnlyList<JsonElement> Path, string Type, ValidationContextDto Context);

/// <summary>The rule's parameters. Unlike Joi's, it never echoes the refused value.</summary>
public sealed record ValidationContextDto(int? Limit, string? Key);

/// <summary>Source-generated (reflection-free) JSON for the collector's types.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BatchDto))]
[JsonSerializable(typeof(AcceptedDto))]
[JsonSerializable(typeof(ErrorDto))]
[JsonSerializable(typeof(SuccessDto))]
[JsonSerializable(typeof(ValidationErrorDto))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(IReadOnlyList<MessageDto>))]
public sealed partial class CollectorJsonContext : JsonSerializerContext;
