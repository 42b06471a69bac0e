using System.Buffers.Binary;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A folder this version wrote, its segments' version fields then bumped as a newer version would leave them, opened by
/// this version with the service down: the newer files are left as they are at each start, counted, never sent, and count
/// toward MaxStorageBytes while this version stores new calls beside them.
/// </summary>
public sealed class NewerFormatFolderBoundTests : StorageTestBase
{
    private const long Bound = 64 * 1024;

    [Fact]
    public async Task Start_WithNewerFormatSegments_LeavesThemAndKeepsTheFolderWithinTheBound()
    {
        await using (var first = NewClient(new StorageCollector(), o => o.MaxStorageBytes = Bound))
        {
            PushNumbers(first, 0, 200);
            await StoredAsync(first);
        }

        var newer = SegmentFiles();
        newer.Length.Should().BeGreaterThan(1);
        foreach (var path in newer)
        {
            var data = File.ReadAllBytes(path);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), RecordFormat.FormatVersion + 1);
            File.WriteAllBytes(path, data);
        }

        var contents = newer.ToDictionary(p => p, File.ReadAllBytes);
        var sizes = new List<long>();
        for (var start = 1; start <= 3; start++)
        {
            var client = NewClient(new StorageCollector(), o => o.MaxStorageBytes = Bound);
            PushNumbers(client, start * 10_000, 1_000);
            await StoredAsync(client);
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(200));
            client.Statistics.CorruptRecords.Should().BeGreaterThanOrEqualTo(newer.Length, "each newer file is counted at each start");
            ShouldBeBalanced(client.Statistics);
            await client.DisposeAsync();
            sizes.Add(FolderBytes());
            foreach (var (path, data) in contents)
            {
                File.ReadAllBytes(path).Should().Equal(data, "a newer version's file is left as it was");
            }
        }

        sizes.Should().OnlyContain(s => s <= Bound, "sizes after each start: {0}", string.Join(", ", sizes));
    }
}
