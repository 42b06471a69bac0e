namespace GrowlyticsSdk.Tests.Storage;

/// <summary>The log line of a failing storage write (event 4006) names a full disk as such.</summary>
public sealed class StorageWriteFailureLogTests : StorageTestBase
{
    private const int WriteFailed = 4006;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData(28, true)]
    [InlineData(5, false)]
    public async Task WriteFails_TheLogSaysWhetherTheDiskIsFull(int errorNumber, bool full)
    {
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(new StorageCollector { Up = true }, o =>
        {
            o.LoggerFactory = logs;
            o.StorageWriteFault = () => new IOException("write failed", errorNumber);
        });

        PushNumbers(client, 0, 5);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 5, Step);

        var line = logs.Entries.Should().ContainSingle(e => e.EventId == WriteFailed).Which.Message;
        line.Should().Contain("IOException", "the exception type is named either way");
        if (full)
        {
            line.Should().Contain("the disk is full", "ENOSPC is a full disk, which the user can act on");
        }
        else
        {
            line.Should().NotContain("full", "an I/O error is not a full disk");
        }
    }
}
