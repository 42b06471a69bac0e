using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Event 2004 says how requests ran out of retries: at <see cref="LogLevel.Error"/> when their messages were dropped, as
/// a warning when they were kept in the storage folder to be tried again (an offline app, where nothing is lost).
/// </summary>
public sealed class KeptRetriesLogTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task RetriesExhausted_MessagesKeptOnDisk_LoggedAsAWarningThatSaysNothingWasDropped()
    {
        var log = new DeliveryLog();
        await using var client = NewClient(new StorageCollector(), o => o.LoggerFactory = log);
        PushNumbers(client, 0, 3);

        await DriveUntilAsync(() => log.WithId(2004).Any(), Step);

        client.Statistics.Dropped.Should().Be(0, "the messages are kept in the storage folder");
        var line = log.WithId(2004).First();
        line.Level.Should().Be(LogLevel.Warning, "nothing was lost: an error line every few seconds for as long as an app is offline would say otherwise");
        line.Text.Should().Contain("kept").And.NotContain("True");
    }

    [Fact]
    public async Task RetriesExhausted_WithoutStorage_LoggedAsAnErrorThatSaysTheyWereDropped()
    {
        var log = new DeliveryLog();
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.StorageDirectory = null;
            o.LoggerFactory = log;
        });
        PushNumbers(client, 0, 3);

        await DriveUntilAsync(() => log.WithId(2004).Any(), Step);

        client.Statistics.DroppedByReason[DropReason.RetriesExhausted].Should().BeGreaterThan(0);
        var line = log.WithId(2004).First();
        line.Level.Should().Be(LogLevel.Error);
        line.Text.Should().Contain("dropped");
    }
}
