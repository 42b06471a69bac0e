using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Privacy calls at awkward moments for the stored queue: a deletion while the disk is slow, and an opt-out while a folder
/// taken over from another instance is being loaded.
/// </summary>
public sealed class PrivacyWhileStorageIsBusyTests : StorageTestBase
{
    private const int Stored = 200;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The deletion's first step (a position past every segment, saved so a process killed meanwhile deletes the files at
    /// its next start) takes the stored queue's lock, which the writer holds through a slow write: it runs off the caller's
    /// thread, so the call returns its task at once (a UI thread is not held by the disk).
    /// </summary>
    [Fact]
    public Task DeleteLocalDataAsync_FolderRead_ReturnsItsTaskWithoutWaitingForTheStorageWritersSlowWrite() => WhileTheWriterIsHeldInAWriteAsync(
        async client =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var call = Task.Run(() => { _ = client.DeleteLocalDataAsync(cancel.Token); });
            (await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(10)))).Should().BeSameAs(call, "an async call returns its task without waiting for the storage writer's slow write on the caller's thread");
        },
        Step);

    /// <summary>
    /// An opt-out (and an opt-in) while a folder taken over from another instance is being loaded, after its records are
    /// loaded but before the folder is published as this client's: the opt-out's sweep must reach those records (they were
    /// stored before it), so they are never sent, even after the opt-in.
    /// </summary>
    [Fact]
    public async Task OptedOutAndBackInWhileTheTakenOverFolderLoads_WhatItHeldIsNeverSent()
    {
        var first = await HoldingStoredNumbersAsync(Stored);
        GrowlyticsClient? client = null;
        var fired = 0;
        var hook = new RecordingLoggerFactory();
        hook.OnEntry = eventId =>
        {
            // On the storage writer: the folder's records are loaded (event 4003), the queue not yet published as this
            // client's. Another thread of the app opts out and back in meanwhile.
            if (eventId != 4003 || Interlocked.Exchange(ref fired, 1) == 1)
            {
                return;
            }

            var c = Volatile.Read(ref client)!;
            Task.Run(() =>
            {
                c.OptOut();
                c.OptIn();
            }).Wait(TimeSpan.FromSeconds(20));
            SpinWait.SpinUntil(() => !c.Dispatcher.SweepPending, TimeSpan.FromSeconds(20)).Should().BeTrue();
        };

        var collector = new StorageCollector { Up = true };
        Volatile.Write(ref client, NewClient(collector, o => o.LoggerFactory = hook));
        await using var second = client!;
        second.Durable!.IsOwner.Should().BeFalse();
        await first.DisposeAsync();
        await DriveUntilAsync(() => second.Durable.IsOwner && Volatile.Read(ref fired) == 1, Step);

        PushNumbers(second, 1_000, 1);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        collector.Numbers.Should().Equal([1_000L], "what the other instance stored before the opt-out is never sent, even after an opt-in");
    }

    /// <summary>
    /// A client waiting at start for a folder another client holds continues the session it loaded from the folder's
    /// session file; its deletion deletes that file (the user's identity is in it), as documented.
    /// </summary>
    [Fact]
    public async Task DeleteLocalDataAsync_ClientWaitingForTheFolder_DeletesTheSessionFileItContinued()
    {
        var sessionPath = Path.Combine(Directory, GrowlyticsSdk.Sessions.SessionStore.FileName);
        await using var holder = NewClient(new StorageCollector { Up = false });
        holder.User.Identify("alice");
        await DriveUntilAsync(() => File.Exists(sessionPath) && File.ReadAllText(sessionPath).Contains("alice"), Step);

        await using var waiting = NewClient(new StorageCollector { Up = false });
        waiting.Durable!.IsOwner.Should().BeFalse();
        waiting.User.UserId.Should().Be("alice", "it continues the session it loaded from the file");

        var deletion = waiting.DeleteLocalDataAsync();
        await DriveUntilAsync(() => deletion.IsCompleted, Step);
        await deletion;

        File.Exists(sessionPath).Should().BeFalse();
    }
}
