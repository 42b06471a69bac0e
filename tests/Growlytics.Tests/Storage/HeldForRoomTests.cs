using System.Reflection;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The storage writer holds the update of a call that waits for room (<c>Customers.UpdateAsync</c>) while the folder has
/// none for it (see DurableQueue.Holding.cs), until deliveries free room: one for which no delivery can free room must not
/// stay held for good.
/// </summary>
public sealed class HeldForRoomTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    private static readonly FieldInfo HeldField = typeof(DurableQueue).GetField("_heldForRoom", BindingFlags.NonPublic | BindingFlags.Instance)!;

    private static bool Holds(GrowlyticsClient client) => HeldField.GetValue(client.Durable) is not null;

    /// <summary>
    /// An update whose record is within the folder's bound (<c>StorageLimits.MaxRecordBytes</c>, so it is stored rather than
    /// sent from memory) but larger than the room the folder has when it holds nothing else: with the batch protocol the
    /// session file (some 66 bytes) counts toward the bound and is not in that limit. No delivery can free room for it, and
    /// the writer held it (and every message after it) until shutdown; the flush never completed. Before, it was written.
    /// </summary>
    [Fact]
    public async Task UpdateThatFitsTheBoundButNotAnEmptyFolder_IsNotHeldForGood()
    {
        const long MaxStorageBytes = 64 * 1024;

        // The sizes of the update's records for known attributes, from a probe client's segment file: one with 80 strings
        // of 480 characters and one of 256, then one with a string of 480 more.
        var probeDirectory = Directory + "-probe";
        long first;
        long perString;
        await using (var probe = NewClient(new StorageCollector(), o => { o.StorageDirectory = probeDirectory; o.MaxStorageBytes = 1024 * 1024; }))
        {
            long SegmentBytes() => new FileInfo(System.IO.Directory.GetFiles(probeDirectory, "queue-*.seg").Single()).Length;
            probe.Customers.Update("large", LargeAttributes(80, 256));
            await StoredAsync(probe);
            first = SegmentBytes() - RecordFormat.SegmentHeaderSize - RecordFormat.RecordHeaderSize;
            probe.Customers.Update("large", LargeAttributes(81, 256));
            await StoredAsync(probe);
            perString = SegmentBytes() - RecordFormat.SegmentHeaderSize - (2 * RecordFormat.RecordHeaderSize) - (2 * first);
        }

        System.IO.Directory.Delete(probeDirectory, recursive: true);

        // MaxRecordBytes is the bound less the 16 KB reserve and two segment headers; the session file takes some bytes more.
        var maxRecordBytes = MaxStorageBytes - StorageLimits.ReservedBytes - (2 * RecordFormat.SegmentHeaderSize);
        var payload = maxRecordBytes - RecordFormat.RecordHeaderSize - 20;
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o => o.MaxStorageBytes = MaxStorageBytes);
        var sessionFile = Path.Combine(Directory, GrowlyticsSdk.Sessions.SessionStore.FileName);
        await DriveUntilAsync(() => client.Durable!.IsBuffer && File.Exists(sessionFile), Step);
        new FileInfo(sessionFile).Length.Should().BeGreaterThan(20, "the session file takes more than the 20 bytes this record leaves");

        var strings = 80 + (int)((payload - first) / perString);
        var last = 256 + (int)((payload - first) % perString);
        if (last > 500)
        {
            strings++;
            last -= (int)perString;
        }

        var update = client.Customers.UpdateAsync("large", LargeAttributes(strings, last)).AsTask();
        var after = client.Customers.UpdateAsync("large", new Dictionary<string, object?> { ["n"] = 2 }).AsTask();
        var flush = Task.WhenAll(update, after).ContinueWith(_ => client.FlushAsync()).Unwrap();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => $"pending {client.Statistics.Pending}, held {Holds(client)}, files {string.Join(", ", System.IO.Directory.EnumerateFiles(Directory).Select(f => Path.GetFileName(f) + ":" + new FileInfo(f).Length))}");
        collector.Numbers.Should().Equal([1L, 2L]);
        ShouldBeBalanced(client.Statistics);
    }

    // The attribute n = 1, strings of 480 characters and one of last characters.
    private static Dictionary<string, object?> LargeAttributes(int strings, int last)
    {
        var attributes = new Dictionary<string, object?> { ["n"] = 1 };
        for (var a = 0; a < strings; a++)
        {
            attributes["a" + a.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)] = new string('y', 480);
        }

        attributes["last"] = new string('z', last);
        return attributes;
    }
}
