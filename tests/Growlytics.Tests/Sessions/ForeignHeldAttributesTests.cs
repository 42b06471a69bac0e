using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// A damaged or foreign session file whose held attributes (REST, pushed while anonymous) hold what no call could have
/// pushed: they are not restored (counted as damage, event 6004), the session itself continues, and the login sends only
/// its own attributes. A call is validated before anything is queued (DESIGN 3); a file must not get around that, nor
/// bring a count of pushes that makes the statistics and the login's count overflow.
/// </summary>
public sealed class ForeignHeldAttributesTests : IDisposable
{
    private const string AnonymousId = "AAAAAAAAAAAAAAAAAAAAAA";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("1", "{\"name\":\"email\",\"type\":\"string\",\"value\":\"not-an-address\"}")]
    [InlineData("1", "{\"name\":\"mobile\",\"type\":\"string\",\"value\":\"call me\"}")]
    [InlineData("1", "{\"name\":\"email\",\"type\":\"number\",\"value\":5}")]
    [InlineData("1", "{\"name\":\"Email\",\"type\":\"string\",\"value\":\"a@b.co\"}")]
    [InlineData("1", "{\"name\":\"ci\\u0001ty\",\"type\":\"string\",\"value\":\"Pune\"}")]
    [InlineData("1", "{\"name\":\"ci\\ud800ty\",\"type\":\"string\",\"value\":\"Pune\"}")]
    [InlineData("1", "{\"name\":\"city\",\"type\":\"string\",\"value\":\"Pu\\ud800ne\"}")]
    [InlineData("1", "{\"name\":\"n\",\"type\":\"number\",\"value\":1e999999}")]
    [InlineData("1", "{\"name\":\"n\",\"type\":\"number\",\"value\":-1e400}")]
    [InlineData("2147483647", "{\"name\":\"city\",\"type\":\"string\",\"value\":\"Pune\"}")]
    [InlineData("0", "{\"name\":\"city\",\"type\":\"string\",\"value\":\"Pune\"}")]
    [InlineData("1", "")]
    [InlineData("2", "{\"name\":\"city\",\"type\":\"string\",\"value\":\"Pune\"},{\"name\":\"city\",\"type\":\"string\",\"value\":\"Mumbai\"}")]
    public async Task HeldAttributesNoCallCouldHavePushed_AreNotRestored_TheSessionContinues(string calls, string attribute)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(
            Path.Combine(_directory, SessionStore.FileName),
            "{\"version\":2,\"anonymousId\":\"" + AnonymousId + "\",\"userId\":null,\"held\":{\"calls\":" + calls + ",\"attributes\":[" + attribute + "]}}");

        await using var client = new GrowlyticsClient(
            new GrowlyticsOptions
            {
                ApiKey = "k",
                Endpoint = new Uri("http://127.0.0.1:9/"),
                StorageDirectory = _directory,
                Protocol = GrowlyticsProtocol.Rest,
                FlushOnProcessExit = false,
                ShutdownTimeout = TimeSpan.FromSeconds(5),
            },
            startDelivery: false);

        var statistics = client.Statistics;
        (statistics.Restored, statistics.Enqueued, statistics.CorruptRecords).Should().Be((0, 0, 1), "a held value no call could have pushed is not trusted");
        client.User.AnonymousId.Should().Be(AnonymousId, "only the held part is damaged: the session continues");

        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        client.Queue.TryRead(out var message).Should().BeTrue();
        (message.Type, message.UserId, message.Calls).Should().Be((MessageType.Update, "u-1", 1));
        message.Attributes.Select(a => a.Name).Should().Equal("plan");
    }

    [Theory]
    [InlineData("{\"name\":\"n\",\"type\":\"number\",\"value\":-12345678901234567890123456789}", "-12345678901234567890123456789")]
    [InlineData("{\"name\":\"n\",\"type\":\"number\",\"value\":1.5E-300}", "1.5E-300")]
    [InlineData("{\"name\":\"email\",\"type\":\"string\",\"value\":\"a@b.co\"}", "a@b.co")]
    [InlineData("{\"name\":\"when\",\"type\":\"date\",\"value\":\"2026-11-28 15:17:07\"}", "2026-11-28 15:17:07")]
    public async Task HeldAttributesACallCouldHavePushed_AreRestoredAsWritten(string attribute, string sent)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(
            Path.Combine(_directory, SessionStore.FileName),
            "{\"version\":2,\"anonymousId\":\"" + AnonymousId + "\",\"userId\":null,\"held\":{\"calls\":3,\"attributes\":[" + attribute + "]}}");

        await using var client = new GrowlyticsClient(
            new GrowlyticsOptions
            {
                ApiKey = "k",
                Endpoint = new Uri("http://127.0.0.1:9/"),
                StorageDirectory = _directory,
                Protocol = GrowlyticsProtocol.Rest,
                FlushOnProcessExit = false,
                ShutdownTimeout = TimeSpan.FromSeconds(5),
            },
            startDelivery: false);

        (client.Statistics.Restored, client.Statistics.CorruptRecords).Should().Be((3, 0));
        client.User.Identify("u-1");
        client.Queue.TryRead(out var message).Should().BeTrue();
        message.Calls.Should().Be(4);
        var json = Tests.TestSupport.Caller.CallerHarness.ToJson(message);
        json.Should().Contain(sent, "restored as written, all digits kept");
    }
}
