using System.Text.Json;
using GrowlyticsSdk.Storage;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>Who owns a storage folder, what the log says when it cannot be used, and the files' permissions.</summary>
[Collection(EngineCollection.Name)]
public sealed class StorageFolderTests
{
    private const int HeldByOther = 4001;
    private const int NotAFolder = 4011;
    private const int TakenOver = 4012;

    [Fact]
    public async Task Start_FolderHeldByAnotherClientInProcess_DeliversFromMemoryThenTakesTheFolderOverWhenReleased()
    {
        using var folder = new TempFolder();
        var directory = folder.Sub("storage");
        await using var collector = await FaultyCollector.StartAsync();
        var firstOptions = FastOptions(collector.Endpoint);
        firstOptions.StorageDirectory = directory;
        var first = new GrowlyticsClient(firstOptions);
        var logs = new RecordingLoggerFactory();
        var secondOptions = FastOptions(collector.Endpoint);
        secondOptions.StorageDirectory = directory;
        secondOptions.LoggerFactory = logs;
        secondOptions.SessionMode = SessionMode.RequireScope;
        await using var second = new GrowlyticsClient(secondOptions);

        logs.Count(HeldByOther).Should().Be(1, "the folder is held by the first client");
        PushScoped(second, 0, 100);
        await FlushAsync(second);
        second.Statistics.Delivered.Should().Be(100, "the second client delivers from memory meanwhile");

        await first.ShutdownAsync();
        await EventuallyAsync(() => logs.Count(TakenOver) == 1, "the second client took the folder over");

        // Its later messages go through storage: a segment file with records appears.
        // (The writer may still be loading the folder just after the log line, so it pushes until one is written. The
        // service answers late meanwhile: a segment whose records are all delivered is deleted at once.)
        var pushed = 100;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(500));
        while (SegmentsWithRecords(directory) == 0)
        {
            clock.Elapsed.Should().BeLessThan(Deadline, "messages are written to the taken-over folder");
            PushScoped(second, pushed++, 1);
            await second.FlushToStorageAsync();
            await Task.Delay(10);
        }

        collector.Script = _ => Fault.None;

        await EventuallyAsync(() => second.Statistics is { Pending: 0 } s && s.Delivered == pushed, "everything was delivered");

        collector.ShouldHaveDeliveredExactly(second, pushed);
        logs.Count(HeldByOther).Should().Be(1, "the retries to take the folder over are not logged each time");
    }

    [Fact]
    public async Task Session_TwoProcessWideClientsOnOneFolderIdentifyLogoutLoops_SessionFileAlwaysReadableNoTempFilesLeft()
    {
        using var folder = new TempFolder();
        var directory = folder.Sub("storage");
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = directory;
        options.SessionMode = SessionMode.ProcessWide;
        var clients = new[] { new GrowlyticsClient(options), new GrowlyticsClient(options) };
        var session = Path.Combine(directory, "session.json");
        await EventuallyAsync(() => File.Exists(session), "a session file was written");
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var unreadable = new List<string>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var document = JsonDocument.Parse(File.ReadAllBytes(session));
                    document.RootElement.GetProperty("anonymousId").GetString().Should().NotBeNullOrEmpty();
                    reads++;
                }
                catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException or KeyNotFoundException)
                {
                    unreadable.Add(ex.GetType().Name);
                }
            }
        });

        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                client.User.Identify($"user-{c}-{i}");
                client.User.Logout();
                if (i % 20 == 0)
                {
                    await client.FlushAsync();
                }
            }
        })));
        foreach (var client in clients)
        {
            await FlushAsync(client);
        }

        await stop.CancelAsync();
        await reader;
        foreach (var client in clients)
        {
            await client.ShutdownAsync();
        }

        reads.Should().BeGreaterThan(10);
        unreadable.Should().BeEmpty("session.json is replaced atomically, never torn or missing");
        Directory.GetFiles(directory, "*.tmp").Should().BeEmpty("every write's temporary file is renamed or deleted");
    }

    [Fact]
    public async Task Start_StorageDirectoryIsAFile_LogsNotAFolderAndDeliversFromMemory()
    {
        using var folder = new TempFolder();
        var file = folder.Sub("not-a-folder");
        await File.WriteAllTextAsync(file, "x");
        var logs = new RecordingLoggerFactory();
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = file;
        options.LoggerFactory = logs;
        options.SessionMode = SessionMode.RequireScope;
        await using var client = new GrowlyticsClient(options);

        PushScoped(client, 0, 50);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 50);
        logs.Count(NotAFolder).Should().Be(1, "the log says what is wrong");
        logs.Count(HeldByOther).Should().Be(0, "a file is not a folder in use by another process");
    }

    [Fact]
    public async Task Start_NewStorageFolderOnUnix_FolderOwnerOnlyAndFilesReadWriteByOwnerOnly()
    {
        using var folder = new TempFolder();
        var directory = folder.Sub("storage");
        await using var collector = await FaultyCollector.StartAsync();
        await collector.StopAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = directory;
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        await using var client = new GrowlyticsClient(options);

        // Stored, not delivered (the collector is stopped): a flush would wait for the retries' 20 s budget.
        client.User.Push(Number(1));
        await StoredAsync(client);
        await EventuallyAsync(() => File.Exists(Path.Combine(directory, AckFile.FileName)), "the acknowledgement file was written");

        var files = Directory.GetFiles(directory);
        files.Select(Path.GetFileName).Should().Contain([StorageFolder.LockFileName, AckFile.FileName]).And.Contain(f => f!.EndsWith(SegmentLoader.FileExtension, StringComparison.Ordinal));
        if (OperatingSystem.IsWindows())
        {
            // No Unix modes there: the per-user folder's ACLs apply (documented).
            return;
        }

        File.GetUnixFileMode(directory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in files)
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "{0} is private to the user", Path.GetFileName(file));
        }
    }

    private static void PushScoped(GrowlyticsClient client, int from, int count)
    {
        using (client.BeginScope("folder-test-user"))
        {
            for (var i = from; i < from + count; i++)
            {
                client.User.Push(Number(i));
            }
        }
    }

    private static int SegmentsWithRecords(string directory) =>
        Directory.GetFiles(directory, SegmentLoader.FilePrefix + "*" + SegmentLoader.FileExtension).Count(f => new FileInfo(f).Length > RecordFormat.SegmentHeaderSize);
}
