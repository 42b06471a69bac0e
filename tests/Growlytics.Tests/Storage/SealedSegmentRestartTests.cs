using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>After the last segment (sealed by a failed write) is deleted, the acknowledged position still points at it.</summary>
public sealed class SealedSegmentRestartTests : StorageTestBase
{
    private static List<(byte[] Payload, long AcceptedMs, int Calls)> Records(int count) =>
        Enumerable.Range(0, count).Select(i => (new byte[] { (byte)'{', (byte)'}' }, 1000L + i, 1)).ToList();

    [Fact]
    public void SealedLastSegmentDeleted_ThenRestart_NewRecordsSurviveASecondRestart()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var fail = false;
        var records = new List<StoredRecord>();
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 4, () => fail ? new IOException("full") : null))
        {
            log.Append(Records(3));                        // segment 5
            fail = true;
            var more = Records(1);
            FluentActions.Invoking(() => log.Append(more)).Should().Throw<IOException>(); // sealed
            fail = false;
            log.Read(10, 0, records, out _);
            log.Settle(records[0]);
            log.Settle(records[1]);
            log.SaveAck();                                   // queue.ack = (5, ...)
            log.Settle(records[2]);                          // sealed last segment deleted
            log.SaveAck();                                   // no segment: nothing saved, ack stays (5, ...)
        }

        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        loaded.Segments.Should().BeEmpty();
        using (var log = new SegmentLog(Directory, 64 * 1024, loaded.Segments, loaded.MaxId))
        {
            log.Append(Records(2));                          // written and fsynced (a flush would return now)
            // crash before the writer's next SaveAck
        }

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(2, "written records survive a restart");
    }
}
