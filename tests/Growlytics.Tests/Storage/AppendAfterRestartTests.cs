namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Every start that stored something while offline began a new segment file, so a client started often without a
/// network (a command-line tool) left one more small file per start: 1,000 starts of 3 messages left 1,003 files, 629 KB
/// by length and 4.2 MB on disk. The first write of a start now appends to the newest segment loaded, when it can.
/// </summary>
public sealed class AppendAfterRestartTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task StartsWhileOffline_AppendToTheNewestSegment_AndEverythingIsDeliveredOnceInOrder()
    {
        var counts = new List<int>();
        for (var start = 0; start < 5; start++)
        {
            var client = NewClient(new StorageCollector());
            PushNumbers(client, start * 3, 3);
            await StoredAsync(client);
            await ShutDownDrivingAsync(client, Step);
            ShouldBeBalanced(client.Statistics);
            await client.DisposeAsync();
            counts.Add(SegmentFiles().Length);
        }

        counts.Should().OnlyContain(c => c == 1, "each start appended to the segment the one before it left: {0}", string.Join(", ", counts));

        var collector = new StorageCollector { Up = true };
        await using var last = NewClient(collector);
        await DriveUntilAsync(() => last.Statistics is { Restored: 15, Pending: 0 }, Step);
        collector.Messages.Select(m => m.N).Should().Equal(Enumerable.Range(0, 15).Select(n => (long?)n), "every stored message once, in the order of the calls");
        last.Statistics.CorruptRecords.Should().Be(0);
    }

    [Fact]
    public async Task SegmentWithADamagedTail_IsNotAppendedTo()
    {
        var client = NewClient(new StorageCollector());
        PushNumbers(client, 0, 3);
        await StoredAsync(client);
        await ShutDownDrivingAsync(client, Step);
        await client.DisposeAsync();
        var segment = SegmentFiles().Single();
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write(new byte[] { 1, 2, 3, 4, 5 });
        }

        var next = NewClient(new StorageCollector());
        PushNumbers(next, 3, 3);
        await StoredAsync(next);
        await ShutDownDrivingAsync(next, Step);
        await next.DisposeAsync();

        SegmentFiles().Should().HaveCount(2, "records after damage would be skipped with it");
        var collector = new StorageCollector { Up = true };
        await using var last = NewClient(collector);
        await DriveUntilAsync(() => last.Statistics is { Restored: 6, Pending: 0 }, Step);
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 6).Select(n => (long)n));
    }
}
