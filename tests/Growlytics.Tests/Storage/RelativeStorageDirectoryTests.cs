namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Probe finding: a relative StorageDirectory is resolved against the current directory at each file operation, so an app
/// that changes its current directory while it runs (a file dialog, Directory.SetCurrentDirectory) makes the client take
/// its intact folder for removed (event 4017), count the stored messages it had not read yet as Corrupted, and split its
/// store over two folders. Process-wide state: kept out of parallel runs by its own collection.
/// </summary>
[Collection(nameof(RelativeStorageDirectoryTests))]
[CollectionDefinition(nameof(RelativeStorageDirectoryTests), DisableParallelization = true)]
public sealed class RelativeStorageDirectoryTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task RelativeStorageDirectory_CurrentDirectoryChangedWhileRunning_StoredMessagesAreNotDroppedAndStayInOneFolder()
    {
        var first = Path.Combine(Directory, "first");
        var second = Path.Combine(Directory, "second");
        System.IO.Directory.CreateDirectory(first);
        System.IO.Directory.CreateDirectory(second);
        var original = Environment.CurrentDirectory;
        var logs = new RecordingLoggerFactory();
        GrowlyticsStatistics statistics;
        try
        {
            Environment.CurrentDirectory = first;
            var client = NewClient(new StorageCollector(), o =>
            {
                o.StorageDirectory = "store";
                o.LoggerFactory = logs;
            });
            PushNumbers(client, 0, 100);
            await StoredAsync(client);

            // The app changes its current directory (an open-file dialog does on Windows), then records more.
            Environment.CurrentDirectory = second;
            PushNumbers(client, 100, 100);
            await StoredAsync(client);
            await ShutDownDrivingAsync(client, Step);
            statistics = client.Statistics;
            await client.DisposeAsync();
        }
        finally
        {
            Environment.CurrentDirectory = original;
        }

        logs.Entries.Should().NotContain(e => e.EventId == 4017, "the folder was never removed");
        statistics.Dropped.Should().Be(0, "nothing stored was damaged or lost: {0}", string.Join(", ", statistics.DroppedByReason.Where(r => r.Value > 0)));
        System.IO.Directory.Exists(Path.Combine(second, "store")).Should().BeFalse("the client's folder is the one it started with");
    }

    [Fact]
    public async Task RelativeStorageDirectory_CurrentDirectoryDeleted_TheClientIsCreated()
    {
        var gone = Path.Combine(Directory, "gone");
        System.IO.Directory.CreateDirectory(gone);
        var original = Environment.CurrentDirectory;
        var logs = new RecordingLoggerFactory();
        var collector = new StorageCollector { Up = true };
        Exception? thrown = null;
        GrowlyticsClient? client = null;
        try
        {
            Environment.CurrentDirectory = gone;
            System.IO.Directory.Delete(gone);
            try
            {
                client = NewClient(collector, o =>
                {
                    o.StorageDirectory = "store";
                    o.LoggerFactory = logs;
                });

                // Used while the current directory is still gone: the client runs from memory and delivers.
                PushNumbers(client, 0, 10);
                var flush = client.FlushAsync();
                await DriveUntilAsync(() => flush.IsCompleted, Step);
                await flush;
            }
            catch (Exception ex)
            {
                thrown = ex;
            }
        }
        finally
        {
            Environment.CurrentDirectory = original;
        }

        if (client is not null)
        {
            await client.DisposeAsync();
        }

        thrown.Should().BeNull("a storage folder that cannot be used degrades to memory (event 4002); creating the client must not throw (got {0})", thrown);
        client.Should().NotBeNull();
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 10).Select(n => (long)n), "the client works from memory");
        client!.Statistics.Delivered.Should().Be(10);
        client.Statistics.Dropped.Should().Be(0);
        logs.Entries.Should().Contain(e => e.EventId == 4002, "the log says the folder cannot be used and the queue is in memory only");
    }
}
