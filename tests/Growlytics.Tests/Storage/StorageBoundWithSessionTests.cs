using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary><see cref="GrowlyticsOptions.MaxStorageBytes"/> counts the SDK's files in the folder, a large session file included.</summary>
public sealed class StorageBoundWithSessionTests : StorageTestBase
{
    // The writer keeps working while the folder is listed: a temporary file may be gone by the time it is measured.
    private List<(string Name, long Length)> Files() =>
        System.IO.Directory.GetFiles(Directory).Select(f => new FileInfo(f)).Where(f => f.Exists).Select(f => (f.Name, StorageLimits.LengthOrZero(f))).ToList();

    [Fact]
    public async Task RestHeldSessionPlusFullQueue_FolderStaysWithinMaxStorageBytes()
    {
        const long bound = 64 * 1024;
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxStorageBytes = bound;
        });

        // An anonymous visitor's pushes are held in session.json until the login (100 names, 512-character values).
        var held = new Dictionary<string, object?>();
        for (var i = 0; i < 100; i++)
        {
            held["attr" + i] = new string('x', 512);
        }

        client.User.Push(held);

        // Stateless updates fill the stored queue while the service is down.
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 100; i++)
            {
                client.Customers.Update("c" + i, new Dictionary<string, object?> { ["n"] = (round * 100) + i });
            }

            await client.FlushAsync();
        }

        var files = Files();
        files.Sum(f => f.Length).Should().BeLessThanOrEqualTo(bound, "MaxStorageBytes counts every file in the folder: " + string.Join(",", files.Select(f => f.Name + "=" + f.Length)));
    }

    [Fact]
    public async Task RestHeldAttributesLargerThanTheSessionFilesShare_KeptInMemoryOnly_FolderNeverPassesTheBound()
    {
        const long bound = 64 * 1024;
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxStorageBytes = bound;
            o.LoggerFactory = logs;
        });

        // The folder's size sampled all along, the session file's rewrites (and their temporary copies) included.
        long largest = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                largest = Math.Max(largest, System.IO.Directory.Exists(Directory) ? Files().Sum(f => f.Length) : 0);
            }
        });

        // Five anonymous pushes of 99 attributes of 500 characters: held for the login, about 54 KB as JSON.
        for (var push = 0; push < 5; push++)
        {
            var held = new Dictionary<string, object?> { ["n"] = push };
            for (var i = 0; i < 98; i++)
            {
                held["attr" + i] = new string((char)('a' + push), 500);
            }

            client.User.Push(held);
            await client.FlushAsync();
        }

        await stop.CancelAsync();
        await sampler;

        largest.Should().BeLessThanOrEqualTo(bound, "the session file is rewritten within its share of the bound");
        var session = File.ReadAllText(Path.Combine(Directory, "session.json"));
        session.Should().Contain(client.User.AnonymousId).And.NotContain("held", "the held attributes do not fit in the file's share");
        logs.Entries.Count(e => e.EventId == 3003).Should().Be(1, "said once, not at every rewrite");
        client.Statistics.Pending.Should().Be(5, "the held pushes stay pending, in memory");

        await client.ShutdownAsync();

        client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(5, "held in memory only, they end with the process");
        client.Statistics.Pending.Should().Be(0);
        logs.Entries.Should().ContainSingle(e => e.EventId == 6003).Which.Message.Should().Contain("5 anonymous Push call(s)");
    }

    [Fact]
    public async Task RestHeldAttributesWithinTheSessionFilesShare_PersistedAndPendingAfterARestart()
    {
        const long bound = 64 * 1024;
        string anonymousId;
        await using (var first = NewClient(new StorageCollector(), o => (o.Protocol, o.MaxStorageBytes) = (GrowlyticsProtocol.Rest, bound)))
        {
            first.User.Push(new Dictionary<string, object?> { ["city"] = new string('p', 500) });
            anonymousId = first.User.AnonymousId;
        }

        await using var second = NewClient(new StorageCollector(), o => (o.Protocol, o.MaxStorageBytes) = (GrowlyticsProtocol.Rest, bound));
        second.User.AnonymousId.Should().Be(anonymousId);
        second.Statistics.Pending.Should().Be(1, "a session of about 600 bytes fits in an eighth of 64 KB");
    }

    [Fact]
    public void OwnFileGoneWhileTheFolderIsListed_CountsAsNothing_TheOthersStillCount()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var kept = Path.Combine(Directory, "session.json");
        var renamed = Path.Combine(Directory, "session.json.0123.tmp");
        File.WriteAllBytes(kept, new byte[3000]);
        File.WriteAllBytes(renamed, new byte[5000]);

        // Both names were listed; the temporary file is renamed away before its length is read (its status not taken yet).
        var listed = new[] { new FileInfo(kept), new FileInfo(renamed) };
        File.Move(renamed, Path.Combine(Directory, "elsewhere.bin"));

        listed.Sum(StorageLimits.LengthOrZero).Should().Be(3000);
    }
}
