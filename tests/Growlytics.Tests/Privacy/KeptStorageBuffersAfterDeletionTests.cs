using System.Reflection;
using System.Text;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// The stored queue keeps a buffer it lays each commit's records out in and one it reads a segment's bytes into, for the
/// next ones: once the user's local data is deleted, neither may still hold what the deleted files held.
/// </summary>
public sealed class KeptStorageBuffersAfterDeletionTests : StorageTestBase
{
    private const string Personal = "Pune-4be1d2-personal-value";
    private const string UserId = "u-4be1d2-personal";
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task DeleteLocalDataAsync_WithStoredMessagesThatWereRead_LeavesNoPersonalValueInTheStoresBuffers()
    {
        var collector = new StorageCollector { Up = false };
        await using var client = NewClient(collector);
        client.User.Identify(UserId, new Dictionary<string, object?> { ["city"] = Personal });
        for (var n = 0; n < 3; n++)
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = n, ["city"] = Personal });
        }

        // Stored, and read for sending (the collector is down: their requests fail and they stay stored).
        await client.FlushAsync();
        await DriveUntilAsync(() => Volatile.Read(ref collector.Attempts) > 0, Step);
        var log = Field<SegmentLog>(client.Durable!, "_log");
        Holds(Field<byte[]>(log, "_commitBuffer")).Should().BeTrue("the records were laid out in the commit buffer");
        Holds(Field<byte[]>(Field<SegmentCache>(log, "_cache"), "_data")).Should().BeTrue("the records were read from their segment");

        await client.DeleteLocalDataAsync();

        System.IO.Directory.GetFiles(Directory, "queue-*.seg").Should().BeEmpty();
        Holds(Field<byte[]>(log, "_commitBuffer")).Should().BeFalse("the deleted records must not stay in the commit buffer");
        Holds(Field<byte[]>(Field<SegmentCache>(log, "_cache"), "_data")).Should().BeFalse("the deleted segment's bytes must not stay in the read cache");
    }

    private static bool Holds(byte[] bytes) =>
        bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Personal)) >= 0 || bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(UserId)) >= 0;

    private static T Field<T>(object owner, string name) =>
        (T)owner.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(owner)!;
}
