using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Two messages the storage writer handed back to memory (the disk full twice), with records stored before, between and
/// after them while the delivery loop is held at its read of the folder: a flush that covers the second waits for it,
/// nothing stalls, and everything is delivered once, counted. Also with the folder deleted under the client while the
/// handed-back message waits.
/// </summary>
public sealed class HandedBackAgainFlushTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task Flush_WithTwoHandedBackMessagesBetweenStoredOnes_WaitsForTheSecondAndDeliversAll(GrowlyticsProtocol protocol)
    {
        using var disk = new HeldReadFullDisk();
        var collector = new NumberHoldingCollector(numbers => numbers.Contains(4));
        await using var client = NewClient(new StorageCollector(), o => disk.Configure(o, protocol, collector));
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        try
        {
            disk.HoldNextRead();
            UpdateCustomerNumbers(client, 100, 1);
            await Task.Run(() => DriveUntilAsync(() => disk.LoopHeld, Step));

            disk.Full = true;
            UpdateCustomerNumbers(client, 0, 1);
            await Task.Run(() => DriveUntilAsync(() => client.Memory.HandedBackMark >= 1, Step));
            var firstMark = client.Memory.HandedBackMark;
            disk.Full = false;

            UpdateCustomerNumbers(client, 1, 3);
            await Task.Run(() => DriveUntilAsync(() => client.Durable!.IsBuffer && client.Durable.Unread >= 3, Step, () => $"unread {client.Durable!.Unread}"));

            disk.Full = true;
            UpdateCustomerNumbers(client, 4, 1);
            await Task.Run(() => DriveUntilAsync(() => client.Memory.HandedBackMark > firstMark, Step));
            disk.Full = false;

            var flush = client.FlushAsync();
            UpdateCustomerNumbers(client, 5, 2);
            await Task.Run(() => DriveUntilAsync(() => client.Durable!.IsBuffer && client.Durable.Unread >= 5, Step, () => $"unread {client.Durable!.Unread}"));

            disk.ReleaseLoop();
            await Task.Run(() => DriveUntilAsync(
                () => collector.Delivered.Count >= 7 && collector.Held == 1,
                Step,
                () => $"delivered {string.Join(",", collector.Delivered)}, held {collector.Held}"));
            for (var i = 0; i < 20; i++)
            {
                Time.Advance(Step);
                await Task.Delay(10);
            }

            flush.IsCompleted.Should().BeFalse("call 4, accepted before the flush, is not delivered yet (delivered: {0})", string.Join(",", collector.Delivered));
            collector.Release();
            await Task.Run(() => DriveUntilAsync(() => flush.IsCompleted, Step));
            await flush;
        }
        finally
        {
            disk.ReleaseLoop();
            collector.Release();
        }

        await Task.Run(() => DriveUntilAsync(() => client.Statistics.Delivered == 8, Step));
        collector.Delivered.Should().BeEquivalentTo([0L, 1L, 2L, 3L, 4L, 5L, 6L, 100L]);
        ShouldBeBalanced(client.Statistics);
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task Flush_FolderDeletedWhileAHandedBackMessageWaits_WaitsForItAndSettlesAll(GrowlyticsProtocol protocol)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var disk = new HeldReadFullDisk();
        var collector = new NumberHoldingCollector(numbers => numbers.Contains(0));
        await using var client = NewClient(new StorageCollector(), o => disk.Configure(o, protocol, collector));
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        try
        {
            disk.HoldNextRead();
            UpdateCustomerNumbers(client, 100, 1);
            await Task.Run(() => DriveUntilAsync(() => disk.LoopHeld, Step));

            disk.Full = true;
            UpdateCustomerNumbers(client, 0, 1);
            await Task.Run(() => DriveUntilAsync(() => client.Memory.HandedBackMark >= 1, Step));
            disk.Full = false;

            var flush = client.FlushAsync();
            UpdateCustomerNumbers(client, 1, 3);
            await Task.Run(() => DriveUntilAsync(() => client.Durable!.IsBuffer && client.Durable.Unread >= 3, Step, () => $"unread {client.Durable!.Unread}"));
            System.IO.Directory.Delete(Directory, recursive: true);
            UpdateCustomerNumbers(client, 4, 3);
            for (var i = 0; i < 20; i++)
            {
                Time.Advance(Step);
                await Task.Delay(10);
            }

            disk.ReleaseLoop();
            await Task.Run(() => DriveUntilAsync(
                () => collector.Held == 1 || client.Statistics.Dropped >= 4,
                Step,
                () => $"delivered {string.Join(",", collector.Delivered)}, held {collector.Held}, handedBack {client.Memory.HoldsHandedBack} mark {client.Memory.HandedBackMark}, memFlush {client.Memory.FlushCount}, forStorage {client.Memory.ForStorage}, withWriter {client.Memory.WithWriter}, buffer {client.Durable!.IsBuffer}, owner {client.Durable.IsOwner}, unread {client.Durable.Unread}, pending {client.Durable.Pending}, stats {client.Statistics.Pending}/{client.Statistics.Dropped}"));
            for (var i = 0; i < 20; i++)
            {
                Time.Advance(Step);
                await Task.Delay(10);
            }

            if (collector.Held == 1)
            {
                flush.IsCompleted.Should().BeFalse("call 0, accepted before the flush, is not delivered yet (delivered: {0})", string.Join(",", collector.Delivered));
            }
            collector.Release();
            await Task.Run(() => DriveUntilAsync(() => flush.IsCompleted, Step));
            await flush;
        }
        finally
        {
            disk.ReleaseLoop();
            collector.Release();
        }

        await Task.Run(() => DriveUntilAsync(() => client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}, delivered {string.Join(",", collector.Delivered)}"));
        // Call 0 is delivered from memory, or (the disk found working by a write of its own first) was written to the folder
        // and went with it, counted dropped as what else was stored there.
        collector.Delivered.Should().Contain([4L, 5L, 6L], "what was in memory is delivered");
        (client.Statistics.Delivered + client.Statistics.Dropped).Should().Be(8);
        ShouldBeBalanced(client.Statistics);
    }
}
