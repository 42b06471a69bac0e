using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary><see cref="GrowlyticsOptions.MaxStorageBytes"/> counts the SDK's files in the folder, a large session file included.</summary>
public sealed class StorageBoundWithSessionTests : StorageTestBase
{
    // The folder's total size, sampled until disposed (yielding between samples), the session file's rewrites and their
    // temporary copies included.
    private Sampler Sample() => new(() => System.IO.Directory.Exists(Directory) ? Files().Sum(f => f.Length) : 0);

    // The writer keeps working while the folder is listed: a temporary file may be gone by the time it is measured.
    private List<(string Name, long Length)> Files() =>
        System.IO.Directory.GetFiles(Directory).Select(f => new FileInfo(f)).Where(f => f.Exists).Select(f => (f.Name, StorageLimits.LengthOrZero(f))).ToList();

    [Fact]
    public async Task RestHeldSessionNearItsShareWhileTheQueueFills_FolderNeverPassesMaxStorageBytes()
    {
        const long bound = 64 * 1024;
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxStorageBytes = bound;
        });
        using var sampling = Sample();

        // An anonymous visitor's pushes, held in session.json until the login: a file a little under its share (8 KB),
        // rewritten at each push, with its temporary copy beside it while it is.
        for (var i = 0; i < 13; i++)
        {
            client.User.Push(new Dictionary<string, object?> { ["attr" + i] = new string('x', 512) });
        }

        // Stateless updates fill the stored queue while the service is down.
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 100; i++)
            {
                client.Customers.Update("c" + i, new Dictionary<string, object?> { ["n"] = (round * 100) + i });
            }

            client.User.Push(new Dictionary<string, object?> { ["attr" + (round % 13)] = new string((char)('a' + round), 512) });
            await client.FlushAsync();
        }

        var session = new FileInfo(Path.Combine(Directory, "session.json"));
        session.Length.Should().BeInRange(6 * 1024, 8 * 1024, "the held attributes are in the file, near its share");
        File.ReadAllText(session.FullName).Should().Contain("\"held\"");
        client.Statistics.DroppedByReason[DropReason.StorageFull].Should().BeGreaterThan(0, "the queue reached its part of the bound");
        (await sampling.LargestAsync()).Should().BeLessThanOrEqualTo(bound, "MaxStorageBytes counts every file in the folder, at every moment");
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

        using var sampling = Sample();

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

        (await sampling.LargestAsync()).Should().BeLessThanOrEqualTo(bound, "the session file is rewritten within its share of the bound");
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
    public async Task RestSessionFileLargerThanItsShareAtStart_RewrittenWithoutTheHeldAttributesWhichStayPending()
    {
        // Written under a larger bound: about 54 KB of held attributes.
        string anonymousId;
        await using (var first = NewClient(new StorageCollector(), o => o.Protocol = GrowlyticsProtocol.Rest))
        {
            first.User.Push(Enumerable.Range(0, 100).ToDictionary(i => "attr" + i, object? (_) => new string('x', 500)));
            anonymousId = first.User.AnonymousId;
        }

        new FileInfo(Path.Combine(Directory, "session.json")).Length.Should().BeGreaterThan(50_000);

        await using var second = NewClient(new StorageCollector(), o => (o.Protocol, o.MaxStorageBytes) = (GrowlyticsProtocol.Rest, 64 * 1024));
        await second.FlushAsync();

        second.User.AnonymousId.Should().Be(anonymousId);
        second.Statistics.Pending.Should().Be(1, "the held push is restored, in memory");
        await DriveUntilAsync(() => new FileInfo(Path.Combine(Directory, "session.json")).Length < 1_000, TimeSpan.FromMilliseconds(10));
        File.ReadAllText(Path.Combine(Directory, "session.json")).Should().Contain(anonymousId).And.NotContain("held");
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

    private sealed class Sampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<long> _largest;

        public Sampler(Func<long> measure) =>
            _largest = Task.Factory.StartNew(
                () =>
                {
                    long largest = 0;
                    while (!_stop.IsCancellationRequested)
                    {
                        largest = Math.Max(largest, measure());
                        Thread.Yield();
                    }

                    return largest;
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

        public async Task<long> LargestAsync()
        {
            await _stop.CancelAsync();
            return await _largest;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
