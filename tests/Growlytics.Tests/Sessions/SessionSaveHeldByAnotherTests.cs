using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// A session save that waited for the stored queue while another client took the folder over (removed and made again at
/// its path) writes nothing there: one writer per folder.
/// </summary>
public sealed class SessionSaveHeldByAnotherTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _appendHeld = new(0);
    private readonly SemaphoreSlim _releaseAppend = new(0);
    private int _holdAppend;

    // A login made while the folder was already made again by another client (the writer has not looked yet) waits for
    // the stored queue; the commit that completes its wait is the one that finds the folder another's. The save then
    // must write nothing there.
    [Fact]
    public Task LoginWaitingForTheQueue_WriterFindsTheFolderAnothers_TheSaveWritesNothingThere() =>
        LoginWhileTheWriterIsInAnAppendAsync(loginBeforeRemoval: false);

    // The login is made before the folder is removed, while it is still this client's own; its write waits for the
    // writer's commit, which is the one that finds the folder made again and held by another client.
    [Fact]
    public Task LoginBeforeTheFolderIsRemoved_WaitingForASlowAppend_IsNotWrittenIntoTheOtherClientsFolder() =>
        LoginWhileTheWriterIsInAnAppendAsync(loginBeforeRemoval: true);

    private async Task LoginWhileTheWriterIsInAnAppendAsync(bool loginBeforeRemoval)
    {
        if (OperatingSystem.IsWindows())
        {
            // A folder whose files are open cannot be deleted there.
            return;
        }

        var sessionPath = Path.Combine(Directory, GrowlyticsSdk.Sessions.SessionStore.FileName);
        await using var client = NewFirstClient(new StorageCollector { Up = false });
        PushNumbers(client, 0, 10);
        await StoredAsync(client);

        Volatile.Write(ref _holdAppend, 1);
        PushNumbers(client, 999, 1);
        var stored = StoredAsync(client);
        (await _appendHeld.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();
        GrowlyticsClient? second = null;
        try
        {
            if (loginBeforeRemoval)
            {
                client.User.Identify("user-a");
                await Task.Delay(100);
            }

            System.IO.Directory.Delete(Directory, recursive: true);
            second = NewClient(new StorageCollector { Up = false });
            second.Durable!.IsOwner.Should().BeTrue();
            second.User.Identify("user-b");
            await second.FlushSessionFileAsync();
            File.ReadAllText(sessionPath).Should().Contain("user-b");

            if (!loginBeforeRemoval)
            {
                // The writer is still in the append: it has not seen the other client.
                client.Durable!.IsBuffer.Should().BeTrue();
                client.Durable.HeldByAnother.Should().BeFalse();
                client.User.Identify("user-a");
            }
        }
        finally
        {
            _releaseAppend.Release();
        }

        await stored;
        await DriveUntilAsync(() => client.Durable!.HeldByAnother, Step);
        var flushed = client.FlushSessionFileAsync();
        await DriveUntilAsync(() => flushed.IsCompleted, Step);
        await Task.Delay(200);

        client.Durable!.HeldByAnother.Should().BeTrue("the second client still holds the folder");
        File.ReadAllText(sessionPath).Should().Contain("user-b", "the session file is the second client's, in the folder it holds (README: while the other client holds it, it writes no session file there)");
        await second!.DisposeAsync();
    }

    private GrowlyticsClient NewFirstClient(StorageCollector collector) =>
        NewClient(collector, o =>
        {
            o.BeforeStorageAppend = () =>
            {
                if (Interlocked.Exchange(ref _holdAppend, 0) == 1)
                {
                    _appendHeld.Release();
                    _releaseAppend.Wait(TimeSpan.FromSeconds(30));
                }
            };
        });
}
