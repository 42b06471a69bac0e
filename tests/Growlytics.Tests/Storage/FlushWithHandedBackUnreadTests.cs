using System.Net;
using System.Text;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <c>FlushAsync</c> with <see cref="GrowlyticsOptions.StorageDirectory"/> while a message the storage writer handed back
/// to memory (its write failed: the disk full; or too large for a record) is not read yet: calls made after the flush and
/// stored meanwhile (the disk works again) must not take its place in what the flush waits for. The delivery loop is
/// held at its read of the folder meanwhile (as behind a slow store); the service holds call 0's request.
/// </summary>
public sealed class FlushWithHandedBackUnreadTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, false)]
    [InlineData(GrowlyticsProtocol.Rest, false)]
    [InlineData(GrowlyticsProtocol.Batch, true)]
    [InlineData(GrowlyticsProtocol.Rest, true)]
    public async Task Flush_WithAHandedBackMessageUnread_WaitsForItNotForLaterStoredCalls(GrowlyticsProtocol protocol, bool tooLarge)
    {
        using var disk = new HeldReadFullDisk();
        var collector = new NumberHoldingCollector(numbers => numbers.Contains(0));
        await using var client = NewClient(new StorageCollector(), o => disk.Configure(o, protocol, collector));
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        try
        {
            // The loop is held at its next read of the folder.
            disk.HoldNextRead();
            UpdateCustomerNumbers(client, 100, 1);
            await Task.Run(() => DriveUntilAsync(() => disk.LoopHeld, Step));

            // Call 0 goes back to memory: the disk is full, or it is too large for a record.
            disk.Full = !tooLarge;
            var update = new Dictionary<string, object?> { ["n"] = 0 };
            if (tooLarge)
            {
                // Larger than a record may be within MaxStorageBytes (64 KB, less the SDK's reserve).
                for (var i = 0; i < 99; i++)
                {
                    update["a" + i] = new string('x', 510);
                }
            }

            client.Customers.Update("customer-0", update);
            await Task.Run(() => DriveUntilAsync(() => client.Memory.HoldsHandedBack, Step));
            disk.Full = false;

            // The flush covers call 0 (and 100). Calls 1 to 3 come after it, and are stored (the disk works again: the
            // writer tries it with them once the retry interval has passed).
            var flush = client.FlushAsync();
            UpdateCustomerNumbers(client, 1, 3);
            await Task.Run(() => DriveUntilAsync(() => client.Durable!.IsBuffer && client.Durable.Unread >= 3, Step, () => $"buffer {client.Durable!.IsBuffer}, unread {client.Durable.Unread}"));
            client.Memory.HoldsHandedBack.Should().BeTrue();

            // The loop goes on: calls 1 to 3 and 100 are delivered, call 0's request is held by the service.
            disk.ReleaseLoop();
            await Task.Run(() => DriveUntilAsync(
                () => collector.Delivered.Count >= 4 && collector.Held == 1,
                Step,
                () => $"delivered {string.Join(",", collector.Delivered)}, held {collector.Held}"));
            for (var i = 0; i < 20; i++)
            {
                Time.Advance(Step);
                await Task.Delay(10);
            }

            flush.IsCompleted.Should().BeFalse("call 0, accepted before the flush, is not delivered yet (delivered: {0})", string.Join(",", collector.Delivered));
            collector.Release();
            await Task.Run(() => DriveUntilAsync(() => flush.IsCompleted, Step));
            await flush;
        }
        finally
        {
            disk.ReleaseLoop();
            collector.Release();
        }

        await Task.Run(() => DriveUntilAsync(() => client.Statistics.Delivered == 5, Step));
        collector.Delivered.Should().BeEquivalentTo([0L, 1L, 2L, 3L, 100L]);
        ShouldBeBalanced(client.Statistics);
    }
}
