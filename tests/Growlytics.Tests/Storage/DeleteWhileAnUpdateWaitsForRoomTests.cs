using System.Reflection;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <c>DeleteLocalDataAsync</c> while the storage writer holds the update of a <c>Customers.UpdateAsync</c> for room (the
/// folder full): the deletion drops that update with the rest, and a call made once the deletion has completed is sent
/// ("calls made afterwards are recorded and sent as usual"), however late the delivery loop's next turn comes.
/// </summary>
public sealed class DeleteWhileAnUpdateWaitsForRoomTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    private static readonly FieldInfo HeldField = typeof(DurableQueue).GetField("_heldForRoom", BindingFlags.NonPublic | BindingFlags.Instance)!;

    private static readonly PropertyInfo DeletionWaitingProperty = typeof(DurableQueue).GetProperty("DeletionWaiting", BindingFlags.NonPublic | BindingFlags.Instance)!;

    private static bool Holds(GrowlyticsClient client) => HeldField.GetValue(client.Durable) is not null;

    [Fact]
    public async Task DeleteLocalDataAsync_WhileAnUpdateWaitsForRoom_CallMadeAfterTheDeletionIsSent()
    {
        using var sweepReached = new ManualResetEventSlim();
        using var releaseSweep = new ManualResetEventSlim();
        var armed = 0;
        var writerArmed = 0;
        var deletionDone = false;
        GrowlyticsClient? client = null;
        var collector = new StorageCollector();
        client = NewClient(collector, o =>
        {
            o.MaxStorageBytes = 64 * 1024;

            // The delivery loop's first sweep after the deletion's own comes late (a busy machine): it waits here, before it
            // reads anything, until the call made after the deletion is on disk.
            o.BeforeOptOutSweep = () =>
            {
                if (Interlocked.CompareExchange(ref armed, 2, 1) == 1)
                {
                    sweepReached.Set();
                    releaseSweep.Wait(TimeSpan.FromSeconds(30));
                }
            };

            // The writer's first write once the deletion began waits until the deletion's sweep of the engine is over (the
            // deletion of the files is asked for), or the loop sweeps again, or the deletion is done: the held update is
            // still the writer's when that sweep ends.
            o.BeforeStorageAppend = () =>
            {
                if (Interlocked.Exchange(ref writerArmed, 0) == 1)
                {
                    SpinWait.SpinUntil(
                        () => sweepReached.IsSet || Volatile.Read(ref deletionDone) || (bool)DeletionWaitingProperty.GetValue(client!.Durable)!,
                        TimeSpan.FromSeconds(30));
                }
            };
        });

        await using var owned = client;
        await DriveUntilAsync(() => client.Durable!.IsBuffer, Step);

        // The folder nearly full of updates the service does not take (it is down).
        for (var n = 0; n < 4; n++)
        {
            client.Customers.Update("customer-" + n, LargeAttributes(n));
        }

        await StoredAsync(client);
        var waiting = client.Customers.UpdateAsync("waiting", LargeAttributes(10)).AsTask();
        await DriveUntilAsync(() => Holds(client), Step);
        await waiting;

        Volatile.Write(ref armed, 1);
        Volatile.Write(ref writerArmed, 1);
        var deletion = client.DeleteLocalDataAsync();
        // The clock stands still meanwhile: a timer the fake clock fires runs the loop on this thread, which the sweep's wait
        // would then hold.
        await DriveUntilAsync(() => deletion.IsCompleted, Step, static () => string.Empty, mayAdvance: static () => false);
        await deletion;
        Volatile.Write(ref deletionDone, true);

        // Made once the deletion has completed: to be sent. (Statistics are read only once the loop goes on: a snapshot
        // waits for the loop's sweep to publish what it read.)
        collector.Up = true;
        client.Customers.Update("after", new Dictionary<string, object?> { ["n"] = 77 });
        await StoredAsync(client);
        releaseSweep.Set();

        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step, () => $"dropped {client.Statistics.DroppedByReason[DropReason.OptedOut]} pending {client.Statistics.Pending}");
        collector.Numbers.Should().Equal([77L]);
        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(5, "the four stored updates and the held one were recorded before the deletion, the last call after it");
        ShouldBeBalanced(client.Statistics);
    }

    // The attribute n and twenty strings of 480 characters: some 10 KB stored.
    private static Dictionary<string, object?> LargeAttributes(int n)
    {
        var attributes = new Dictionary<string, object?> { ["n"] = n };
        for (var a = 0; a < 20; a++)
        {
            attributes["a" + a.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)] = new string('y', 480);
        }

        return attributes;
    }
}
