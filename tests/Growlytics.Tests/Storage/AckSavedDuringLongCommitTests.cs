using System.Text.Json;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The storage writer's commit goes on for as long as memory holds a message when a write ends (calls that keep coming,
/// a write at a time): the position must still be saved every <see cref="GrowlyticsOptions.StorageCommitInterval"/>, so a
/// kill sends again only what was settled within the last one (README, Sending), not everything delivered since the
/// commit began.
/// </summary>
public sealed class AckSavedDuringLongCommitTests : StorageTestBase
{
    [Fact]
    public async Task CallsThatKeepComing_KillAfterStoredMessagesWereDelivered_TheNextStartDoesNotSendThemAgain()
    {
        // A previous run stored 0..99 (its collector down).
        await using (var first = NewClient(new StorageCollector()))
        {
            PushNumbers(first, 0, 100);
            await StoredAsync(first);
        }

        var collector = new StorageCollector { Up = true };
        var killed = Path.Combine(Directory, "killed");
        var next = 1_000;
        var appends = 0;
        var copy = 0;
        using var copied = new ManualResetEventSlim();
        GrowlyticsClient? client = null;
        client = NewClient(collector, o => o.BeforeStorageAppend = () =>
        {
            // A call comes during every write: memory is never empty when a write ends.
            Interlocked.Increment(ref appends);
            if (Interlocked.CompareExchange(ref copy, 2, 1) == 1)
            {
                // The process is killed here: what the folder holds now is what the next start reads.
                System.IO.Directory.CreateDirectory(killed);
                foreach (var file in System.IO.Directory.GetFiles(Directory).Where(f => Path.GetFileName(f) != StorageFolder.LockFileName))
                {
                    File.Copy(file, Path.Combine(killed, Path.GetFileName(file)));
                }

                copied.Set();
            }

            if (!copied.IsSet)
            {
                Thread.Sleep(1);
                PushNumbers(client!, next++, 1);
            }
        });
        await using (client)
        {
            PushNumbers(client, next++, 1);

            // The stored messages are delivered while the writer's commit goes on.
            await DriveUntilAsync(() => collector.Numbers.IsSupersetOf(Enumerable.Range(0, 100).Select(n => (long)n)), TimeSpan.FromMilliseconds(50));

            // Several commit intervals pass, with writes going on.
            for (var i = 0; i < 5; i++)
            {
                var before = Volatile.Read(ref appends);
                Time.Advance(TimeSpan.FromMilliseconds(100));
                SpinWait.SpinUntil(() => Volatile.Read(ref appends) >= before + 3, TimeSpan.FromSeconds(30)).Should().BeTrue("the writer goes on writing");
            }

            Volatile.Write(ref copy, 1);
            copied.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
        }

        var loaded = SegmentLoader.Load(killed, long.MaxValue);
        using var log = new SegmentLog(killed, 1 << 20, loaded.Segments, loaded.MaxId);
        var records = new List<StoredRecord>();
        log.Read(1_000_000, 0, records, out _);
        var again = records.Select(r => JsonDocument.Parse(r.Payload).RootElement.GetProperty("attributes")[0].GetProperty("value").GetInt64()).Where(n => n < 100).ToList();
        again.Should().BeEmpty("0..99 were delivered and settled several commit intervals before the kill, and only what was settled within the last one may be sent again ({0} of them were)", again.Count);
    }
}
