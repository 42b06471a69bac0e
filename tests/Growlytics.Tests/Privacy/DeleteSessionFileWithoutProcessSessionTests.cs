using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// "Deleted: ... the session file session.json" (docs/security.md): also by a client that keeps no process-wide session
/// (<see cref="SessionMode.RequireScope"/>, the default with AddGrowlytics) and holds a folder where an earlier run of the
/// app, with a process-wide session, left one holding its user's ids.
/// </summary>
public sealed class DeleteSessionFileWithoutProcessSessionTests : StorageTestBase
{
    [Fact]
    public async Task DeleteLocalDataAsync_WithScopedSessionsOnly_DeletesTheSessionFileAnEarlierRunLeft()
    {
        var collector = new StorageCollector { Up = true };
        await using (var earlier = NewClient(collector, o => o.SessionMode = SessionMode.ProcessWide))
        {
            earlier.User.Identify("u-5d0a77-personal");
            await earlier.FlushSessionFileAsync();
        }

        var path = Path.Combine(Directory, SessionStore.FileName);
        File.ReadAllText(path).Should().Contain("u-5d0a77-personal");
        File.WriteAllText(path + ".0123456789abcdef0123456789abcdef.tmp", "{\"userId\":\"u-5d0a77-personal\"}");

        await using var client = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope);
        await client.DeleteLocalDataAsync();

        System.IO.Directory.GetFiles(Directory, SessionStore.FileName + "*").Should().BeEmpty("the user's ids must not stay on disk after a deletion");
    }
}
