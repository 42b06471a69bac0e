using System.Text;
using System.Text.RegularExpressions;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.TestSupport.Caller;

/// <summary>
/// A client whose delivery loop never starts, so every accepted call stays in the queue for the test to drain.
/// Time is fixed at <see cref="Now"/>; logs are recorded.
/// </summary>
internal sealed class CallerHarness : IDisposable
{
    /// <summary>2025-11-28 15:00:00 UTC, written as the event timestamp 1764342000000.</summary>
    public static readonly DateTimeOffset Now = new(2025, 11, 28, 15, 0, 0, TimeSpan.Zero);

    public const long NowMilliseconds = 1_764_342_000_000;

    public CallerHarness(Action<GrowlyticsOptions>? configure = null)
    {
        Time = new FakeTimeProvider(Now);
        Logs = new CallerLoggerFactory();
        var options = new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Endpoint = new Uri("http://127.0.0.1:9/"),
            TimeProvider = Time,
            LoggerFactory = Logs,
            FlushOnProcessExit = false,

            // The session tests were written for the batch protocol's messages; REST tests ask for Rest.
            Protocol = GrowlyticsProtocol.Batch,
        };
        configure?.Invoke(options);
        Client = new GrowlyticsClient(options, startDelivery: false);
        Logs.Written = () => Client.CallLinesWritten;
    }

    public GrowlyticsClient Client { get; }

    public GrowlyticsUser User => Client.User;

    public FakeTimeProvider Time { get; }

    public CallerLoggerFactory Logs { get; }

    /// <summary>Takes every message queued so far, in order.</summary>
    public List<UserMessage> Drain()
    {
        var messages = new List<UserMessage>();
        while (Client.Queue.TryRead(out var message))
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>Drains the queue and returns the wire JSON of each message.</summary>
    public List<string> DrainJson() => Drain().Select(ToJson).ToList();

    public static string ToJson(UserMessage message) =>
        Encoding.UTF8.GetString(MessageJsonWriter.Serialize(message, new ByteBufferWriter(256)));

    /// <summary>
    /// The wire JSON with the parts that differ per run replaced: the message id by <c>MSG</c> (after checking
    /// that it is the one the message carries) and each anonymous id by its name in <paramref name="anonymousIds"/>.
    /// </summary>
    public static string Normalize(UserMessage message, IReadOnlyDictionary<string, string> anonymousIds)
    {
        var json = ToJson(message);
        var idField = "\"messageId\":\"" + message.MessageId + "\"";
        if (!json.Contains(idField, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The JSON does not carry the message's id.");
        }

        json = json.Replace(idField, "\"messageId\":\"MSG\"", StringComparison.Ordinal);
        foreach (var (id, alias) in anonymousIds)
        {
            json = json.Replace("\"anonymousId\":\"" + id + "\"", "\"anonymousId\":\"" + alias + "\"", StringComparison.Ordinal);
        }

        return json;
    }

    /// <summary>The JSON of one attribute value as written on the wire, e.g. <c>{"name":"a","type":"number","value":1}</c>.</summary>
    public string AttributesJsonOfPush(IReadOnlyDictionary<string, object?> attributes)
    {
        User.Push(attributes);
        var messages = Drain();
        if (messages.Count != 1)
        {
            throw new InvalidOperationException("Expected one message, got " + messages.Count + ".");
        }

        var json = ToJson(messages[0]);
        var match = AttributesPattern().Match(json);
        if (!match.Success)
        {
            throw new InvalidOperationException("No attributes array in the message.");
        }

        return match.Groups[1].Value;
    }

    public void Dispose() => Client.Dispose();

    private static Regex AttributesPattern() => new("\"attributes\":(\\[.*\\])\\}$", RegexOptions.Singleline | RegexOptions.CultureInvariant);
}
