using System.Buffers.Binary;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

public sealed class StorageCorruptionTests : StorageTestBase
{
    public enum Damage
    {
        TornLastRecord,
        FlippedPayloadByte,
        FlippedLengthByte,
        GarbageAppended,
        HeaderDestroyed,
        NewerVersion,
    }

    [Theory]
    [InlineData(Damage.TornLastRecord, new[] { 19 })]
    [InlineData(Damage.FlippedPayloadByte, new[] { 7 })]
    [InlineData(Damage.FlippedLengthByte, new[] { 3 })]
    [InlineData(Damage.GarbageAppended, new int[0])]
    [InlineData(Damage.HeaderDestroyed, new[] { -1 })]
    [InlineData(Damage.NewerVersion, new[] { -1 })]
    public async Task Start_WithDamagedSegment_CountsTheDamageAndDeliversTheGoodRecords(Damage damage, int[] lost)
    {
        var path = await WriteTwentyAsync();
        var data = File.ReadAllBytes(path);
        var offsets = RecordOffsets(data);
        switch (damage)
        {
            case Damage.TornLastRecord: data = data[..^5]; break;
            case Damage.FlippedPayloadByte: data[offsets[7] + RecordFormat.RecordHeaderSize + 10] ^= 0x04; break;
            case Damage.FlippedLengthByte: data[offsets[3] + 3] ^= 0x01; break;
            case Damage.GarbageAppended: data = [.. data, .. RandomBytes(1000, seed: 7)]; break;
            case Damage.HeaderDestroyed: data[0] = (byte)'X'; break;
            case Damage.NewerVersion: BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), RecordFormat.FormatVersion + 1); break;
        }

        File.WriteAllBytes(path, data);
        var expected = lost is [-1] ? [] : Enumerable.Range(0, 20).Except(lost).ToArray();

        var (collector, statistics) = await RestartAsync();

        collector.Numbers.Should().BeEquivalentTo(expected);
        statistics.CorruptRecords.Should().BeGreaterThan(0);
        statistics.Restored.Should().Be(expected.Length);
        ShouldBeBalanced(statistics);
        if (damage == Damage.NewerVersion)
        {
            File.Exists(path).Should().BeTrue("a newer version's file is left for that version");
        }
    }

    [Fact]
    public async Task Start_WithEmptyRandomAndHugeFiles_SkipsThemAndDeliversTheGoodSegment()
    {
        await WriteTwentyAsync();
        File.WriteAllBytes(SegmentLoader.SegmentPath(Directory, 9_000), []);
        File.WriteAllBytes(SegmentLoader.SegmentPath(Directory, 9_001), RandomBytes(50_000, seed: 3));
        using (var huge = File.Create(SegmentLoader.SegmentPath(Directory, 9_002)))
        {
            huge.SetLength(64L * 1024 * 1024);
        }

        var (collector, statistics) = await RestartAsync();

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20));
        statistics.CorruptRecords.Should().BeGreaterThanOrEqualTo(2, "the random and the huge file are damage; an empty one holds nothing (a deletion in a read-only folder empties files)");
        File.Exists(SegmentLoader.SegmentPath(Directory, 9_000)).Should().BeFalse("the empty file is deleted");
    }

    [Fact]
    public async Task Start_WithDamagedAckFile_SendsEverythingStillStored()
    {
        await WriteTwentyAsync();
        File.WriteAllBytes(Path.Combine(Directory, AckFile.FileName), RandomBytes(28, seed: 5));

        var (collector, statistics) = await RestartAsync();

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20));
        statistics.CorruptRecords.Should().Be(1);
    }

    [Fact]
    public async Task Start_WithRandomlyMangledSegments_NeverFailsAndDeliversOnlyIntactRecords()
    {
        var path = await WriteTwentyAsync();
        var original = File.ReadAllBytes(path);
        var random = new Random(42);
        for (var round = 0; round < 15; round++)
        {
            var data = (byte[])original.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
            }

            data = data[..random.Next(RecordFormat.SegmentHeaderSize, data.Length + 1)];
            System.IO.Directory.Delete(Directory, recursive: true);
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllBytes(path, data);
            var intact = RecordOffsets(data).Count;

            var (collector, statistics) = await RestartAsync();

            collector.Numbers.Should().HaveCount(intact).And.BeSubsetOf(Enumerable.Range(0, 20).Select(n => (long)n));
            statistics.Delivered.Should().Be(intact);
            ShouldBeBalanced(statistics);
        }
    }

    [Fact]
    public async Task SegmentDamagedAfterItWasWritten_LosesOnlyTheDamagedRecord_CountsItCorruptedAndLogsItOnce()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        using var read = new HeldFirstRead();
        var client = NewClientWithSmallSegments(collector, logs, read);
        try
        {
            await DamageAStoredRecordBehindTheHeldReadAsync(client, read);
            read.Release();

            // Delivered while the client runs: the storage writer logs the damage in a later turn (after the turn's commit
            // has completed the storage flush, so the test waits for the line).
            await client.FlushAsync();
            await client.FlushToStorageAsync();
            await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == 4004), TimeSpan.FromMilliseconds(200));
            logs.Entries.Where(e => e.EventId == 4004).Should().ContainSingle("the storage writer logs damage found after start")
                .Which.Message.Should().Contain("Skipped 1 damaged");

            await client.ShutdownAsync();
            var statistics = client.Statistics;
            collector.Numbers.Should().HaveCount(149, "only the damaged record is lost");
            statistics.Delivered.Should().Be(149);
            statistics.DroppedByReason[DropReason.Corrupted].Should().Be(1);
            statistics.CorruptRecords.Should().Be(1);
            ShouldBeBalanced(statistics);
            statistics.Pending.Should().Be(0);
            logs.Entries.Where(e => e.EventId == 4004).Should().ContainSingle("the damage is logged once");
        }
        finally
        {
            read.Release();
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task SegmentDamagedAfterItWasWritten_FoundWhileShutdownDelivers_IsLoggedWhenTheStoreCloses()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        using var read = new HeldFirstRead();
        var client = NewClientWithSmallSegments(collector, logs, read);
        try
        {
            await DamageAStoredRecordBehindTheHeldReadAsync(client, read);

            // Shutdown stops the storage writer first, then delivers what is stored: the damage is found after the
            // writer's last turn, and logged when the store closes.
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => client.StorageWriterStopped, TimeSpan.FromMilliseconds(200));
            read.Release();
            await shutdown;

            var statistics = client.Statistics;
            collector.Numbers.Should().HaveCount(149);
            statistics.DroppedByReason[DropReason.Corrupted].Should().Be(1);
            statistics.CorruptRecords.Should().Be(1);
            ShouldBeBalanced(statistics);
            statistics.Pending.Should().Be(0);
            logs.Entries.Where(e => e.EventId == 4004).Should().ContainSingle()
                .Which.Message.Should().Contain("Skipped 1 damaged");
        }
        finally
        {
            read.Release();
            await client.DisposeAsync();
        }
    }

    private GrowlyticsClient NewClientWithSmallSegments(StorageCollector collector, RecordingLoggerFactory logs, HeldFirstRead read) =>
        NewClient(collector, o =>
        {
            // 4 KB segments: 150 updates fill several, well within the bound.
            o.MaxStorageBytes = 64 * 1024;
            o.LoggerFactory = logs;

            // The tests move the clock while a shutdown waits for the writer: its deadline must not pass meanwhile.
            o.ShutdownTimeout = TimeSpan.FromMinutes(10);
            read.Apply(o, Time);
        });

    /// <summary>
    /// Pushes 150 updates, the first read holding 10 of them, and flips a byte of a record in the last sealed segment,
    /// which no reader has reached: its bytes change on disk after it was written.
    /// </summary>
    private async Task DamageAStoredRecordBehindTheHeldReadAsync(GrowlyticsClient client, HeldFirstRead read)
    {
        PushNumbers(client, 0, 10);
        await DriveUntilAsync(() => read.IsHeld, TimeSpan.FromMilliseconds(200));
        PushNumbers(client, 10, 140);
        await client.FlushToStorageAsync();
        var segments = SegmentFiles();
        segments.Length.Should().BeGreaterThanOrEqualTo(3, "the updates fill several 4 KB segments");
        var damaged = segments[^2];
        var data = File.ReadAllBytes(damaged);
        var offsets = RecordOffsets(data);
        data[offsets[offsets.Count / 2] + RecordFormat.RecordHeaderSize + 4] ^= 0x10;
        File.WriteAllBytes(damaged, data);
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static List<int> RecordOffsets(byte[] data)
    {
        var offsets = new List<int>();
        if (RecordFormat.ReadVersion(data) != RecordFormat.FormatVersion)
        {
            return offsets;
        }

        var offset = RecordFormat.SegmentHeaderSize;
        while (offset < data.Length)
        {
            var found = RecordFormat.NextRecord(data, offset, data.Length, out var length, out _, out _);
            if (found >= data.Length)
            {
                break;
            }

            offsets.Add(found);
            offset = found + length;
        }

        return offsets;
    }

    private async Task<string> WriteTwentyAsync()
    {
        await using (var client = NewClient(new StorageCollector()))
        {
            PushNumbers(client, 0, 20);
            await client.FlushAsync();
        }

        var withRecords = SegmentFiles().Where(f => new FileInfo(f).Length > RecordFormat.SegmentHeaderSize).ToArray();
        withRecords.Should().ContainSingle();
        return withRecords[0];
    }

    private async Task<(StorageCollector Collector, GrowlyticsStatistics Statistics)> RestartAsync()
    {
        var collector = new StorageCollector { Up = true };
        var client = NewClient(collector);
        await client.ShutdownAsync();
        return (collector, client.Statistics);
    }
}
