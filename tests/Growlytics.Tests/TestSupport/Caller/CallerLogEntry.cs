using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.TestSupport.Caller;

/// <summary>One log line as the SDK wrote it: level, event id, and the formatted message.</summary>
internal sealed record CallerLogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);
