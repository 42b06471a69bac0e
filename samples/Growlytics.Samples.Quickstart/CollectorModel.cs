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

/// <summary>Source-generated (reflection-free) JSON for the collector's types.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BatchDto))]
[JsonSerializable(typeof(AcceptedDto))]
[JsonSerializable(typeof(ErrorDto))]
[JsonSerializable(typeof(IReadOnlyList<MessageDto>))]
public sealed partial class CollectorJsonContext : JsonSerializerContext;
