using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Lifecycle;

/// <summary>
/// An app that re-creates its client (settings changed, a plug-in reloaded, a host restarted) with the same storage folder
/// and the process-wide session: a shutdown with no time left (a zero <see cref="GrowlyticsOptions.ShutdownTimeout"/>, or a
/// token already cancelled, as a host that spent its stop budget passes) still waits for the session file's write within
/// the grace the storage writes get past the deadline, as it does for what memory holds, and releases the folder before it
/// returns. It used to return with the login still unwritten: a process that ended then started its next run as the
/// previous user, and a client made at once found the folder held and read the session as it was before the login.
/// </summary>
public sealed class SessionAtShutdownWithNoTimeLeftTests : StorageTestBase
{
    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, true)]
    [InlineData(GrowlyticsProtocol.Batch, false)]
    [InlineData(GrowlyticsProtocol.Rest, true)]
    [InlineData(GrowlyticsProtocol.Rest, false)]
    public async Task Shutdown_WithNoTimeLeft_SavesTheLoginAndReleasesTheFolderBeforeItReturns(GrowlyticsProtocol protocol, bool zeroTimeout)
    {
        var collector = new StorageCollector();
        void Configure(GrowlyticsOptions o)
        {
            o.Protocol = protocol;
            o.SessionMode = SessionMode.ProcessWide;
            o.ShutdownTimeout = zeroTimeout ? TimeSpan.Zero : TimeSpan.FromSeconds(5);
        }

        using var writing = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = NewClient(collector, Configure);

        // A session write that takes a moment (a busy machine, a slow disk): the grace past the deadline runs on the fake
        // clock, which does not move here, so only the write's end can end the shutdown's wait for it.
        first.SessionStore!.BeforeWrite = () =>
        {
            writing.Set();
            release.Wait(TimeSpan.FromSeconds(20));
        };
        first.User.Identify("user-1", new Dictionary<string, object?> { ["plan"] = "pro" });

        var shutdown = first.ShutdownAsync(zeroTimeout ? CancellationToken.None : new CancellationToken(canceled: true));
        writing.Wait(TimeSpan.FromSeconds(20)).Should().BeTrue("the login is written to session.json");
        await Task.WhenAny(shutdown, Task.Delay(500));
        var returnedBeforeTheWrite = shutdown.IsCompleted;
        release.Set();
        await shutdown.WaitAsync(TimeSpan.FromSeconds(20));

        returnedBeforeTheWrite.Should().BeFalse("the shutdown waits for the session file's write, within the storage writes' grace");
        await using var next = NewClient(collector, Configure);
        next.Durable!.IsOwner.Should().BeTrue("the folder was released before the previous client's shutdown returned");
        next.User.UserId.Should().Be("user-1", "the login was saved in session.json before the shutdown returned");
    }
}
