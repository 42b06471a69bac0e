using System.Globalization;
using GrowlyticsSdk;

namespace GrowlyticsSamples.Quickstart;

/// <summary>Prints what a collector received and a client's statistics. Never prints the API key.</summary>
public static class Report
{
    /// <summary>Writes one batch: where it came from, then each message with its attributes and their wire types.</summary>
    public static void WriteBatch(TextWriter output, BatchDto batch)
    {
        var messages = batch.Messages ?? [];
        output.WriteLine($"batch of {messages.Count} message(s) from {batch.Sdk?.Name}/{batch.Sdk?.Version} on {batch.Device?.OsName} {batch.Device?.OsVersion}");
        foreach (var message in messages)
        {
            output.WriteLine($"  {message.Type,-7} userId={message.UserId ?? "(anonymous)"} anonymousId={message.AnonymousId} messageId={message.MessageId}");
            foreach (var attribute in message.Attributes ?? [])
            {
                output.WriteLine($"          {attribute.Name} ({attribute.Type}) = {attribute.Value.GetRawText()}");
            }
        }
    }

    /// <summary>Writes one request as the collector received it: path, status and body (a demo collector's data, not a secret).</summary>
    public static void WriteRequest(TextWriter output, ReceivedRequest request) =>
        output.WriteLine($"POST {request.Path} -> {request.Status}: {request.Body}");

    /// <summary>Writes a client's delivery figures; drop reasons only when something was dropped.</summary>
    public static void WriteStatistics(TextWriter output, GrowlyticsStatistics statistics)
    {
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"statistics: enqueued {statistics.Enqueued}, delivered {statistics.Delivered}, dropped {statistics.Dropped}, pending {statistics.Pending}, retried {statistics.Retried}, batches sent {statistics.BatchesSent}"));
        foreach (var (reason, count) in statistics.DroppedByReason.Where(r => r.Value > 0))
        {
            output.WriteLine($"  dropped ({reason}): {count}");
        }
    }
}
