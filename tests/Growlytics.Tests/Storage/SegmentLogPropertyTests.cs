using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The log under random appends (some failing part-way), reads, out-of-order settling (the oldest record held back most of
/// the time), saves (some failing), drops of the oldest segment, deletion of settled segments and restarts (some after a
/// save, some as after a kill): after every step the counts agree with the files, and at every restart a copy of the
/// folder reads every unsettled record, once, and nothing unknown.
/// </summary>
public sealed class SegmentLogPropertyTests : StorageTestBase
{
    private const int SegmentSize = 8 + (5 * 21);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomOperations_NoRecordLost_CountsAgreeWithTheFiles(int seed)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var rng = new Random(seed);
        var faultRate = 0.0;
        Func<Exception?> fault = () => rng.NextDouble() < faultRate ? new IOException("fault") : null;
        var log = new SegmentLog(Directory, SegmentSize, [], 0, fault);
        var unsettled = new HashSet<long>();
        var settled = new HashSet<long>();
        var live = new List<StoredRecord>();
        var readThisSession = new HashSet<long>();
        long next = 1;
        var trace = new List<string>();

        try
        {
            for (var step = 0; step < 600; step++)
            {
                var op = rng.Next(100);
                faultRate = rng.Next(4) == 0 ? 0.15 : 0.0;
                if (op < 25)
                {
                    var n = rng.Next(1, 9);
                    var records = Enumerable.Range(0, n).Select(i => (new byte[] { (byte)'{', (byte)'1', (byte)'}' }, next + i, 1)).ToList();
                    var ids = Enumerable.Range(0, n).Select(i => next + i).ToList();
                    next += n;
                    try
                    {
                        log.Append(records);
                    }
                    catch (IOException)
                    {
                    }

                    var written = n - records.Count;
                    foreach (var id in ids.Take(written))
                    {
                        unsettled.Add(id);
                    }

                    trace.Add($"append {n} wrote {written}");
                }
                else if (op < 45)
                {
                    faultRate = 0;
                    var into = new List<StoredRecord>();
                    log.Read(rng.Next(1, 12), 0, into, out _);
                    foreach (var r in into)
                    {
                        readThisSession.Add(r.AcceptedMs).Should().BeTrue($"read twice in one session: {r.AcceptedMs}; {Tail(trace)}");
                        (unsettled.Contains(r.AcceptedMs) || settled.Contains(r.AcceptedMs)).Should().BeTrue($"unknown {r.AcceptedMs}");
                        live.Add(r);
                    }

                    trace.Add($"read {into.Count}");
                }
                else if (op < 75)
                {
                    if (live.Count > 0)
                    {
                        // The first read record is held most of the time, so segments after it settle behind it.
                        var i = live.Count > 1 && rng.Next(10) != 0 ? rng.Next(1, live.Count) : rng.Next(live.Count);
                        var r = live[i];
                        live.RemoveAt(i);
                        log.Settle(r);
                        unsettled.Remove(r.AcceptedMs);
                        settled.Add(r.AcceptedMs);
                        trace.Add($"settle {r.AcceptedMs}");
                    }
                }
                else if (op < 85)
                {
                    try
                    {
                        log.SaveAck();
                    }
                    catch (IOException)
                    {
                    }

                    trace.Add("saveack");
                }
                else if (op < 90)
                {
                    faultRate = 0;
                    if (log.Oldest is { } oldest)
                    {
                        var data = File.ReadAllBytes(oldest.Path);
                        var offset = RecordFormat.SegmentHeaderSize;
                        var dropped = new List<long>();
                        while (offset < oldest.Length)
                        {
                            var found = RecordFormat.NextRecord(data, offset, (int)oldest.Length, out var length, out var ms, out _);
                            if (found >= oldest.Length)
                            {
                                break;
                            }

                            dropped.Add(ms);
                            offset = found + length;
                        }

                        var outs = new List<StoredRecord>();
                        log.DropOldest(outs);
                        foreach (var r in outs)
                        {
                            live.Remove(r).Should().BeTrue();
                        }

                        foreach (var id in dropped)
                        {
                            if (unsettled.Remove(id))
                            {
                                settled.Add(id);
                            }
                        }

                        trace.Add($"dropoldest {oldest.Id} ({dropped.Count})");
                    }
                }
                else if (op < 95)
                {
                    log.RemoveSettledSegments();
                    trace.Add("removesettled");
                }
                else
                {
                    faultRate = 0;
                    if (rng.Next(2) == 0)
                    {
                        try
                        {
                            log.SaveAck();
                        }
                        catch (IOException)
                        {
                        }
                    }

                    log.Dispose();
                    CheckRestart(unsettled, settled, trace);
                    var loaded = SegmentLoader.Load(Directory, long.MaxValue);
                    log = new SegmentLog(Directory, SegmentSize, loaded.Segments, loaded.MaxId, fault);
                    live.Clear();
                    readThisSession.Clear();
                    trace.Add("restart");
                }

                Check(log, live, trace);
            }

            // Drain.
            faultRate = 0;
            for (var k = 0; k < 1000 && log.Pending > 0; k++)
            {
                var into = new List<StoredRecord>();
                log.Read(100, 0, into, out _);
                foreach (var r in into)
                {
                    readThisSession.Add(r.AcceptedMs).Should().BeTrue($"read twice {r.AcceptedMs}; {Tail(trace)}");
                    live.Add(r);
                }

                foreach (var r in live)
                {
                    log.Settle(r);
                    unsettled.Remove(r.AcceptedMs);
                }

                live.Clear();
            }

            unsettled.Should().BeEmpty($"never read: {Tail(trace)}");
            log.Pending.Should().Be(0);
            log.Outstanding.Should().Be(0);
        }
        finally
        {
            log.Dispose();
        }
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(200, 8).Select(i => new object[] { i });

    private static string Tail(List<string> trace) => string.Join(" | ", trace.TakeLast(40));

    private void Check(SegmentLog log, List<StoredRecord> live, List<string> trace)
    {
        var segments = log.Segments;
        segments.Sum(s => (long)s.Pending).Should().Be(log.Pending, Tail(trace));
        segments.All(s => s.Pending >= 0).Should().BeTrue(Tail(trace));
        log.UnsettledOutstanding.Should().Be(live.Count, Tail(trace));
        log.Pending.Should().BeGreaterThanOrEqualTo(live.Count, Tail(trace));
        log.LateDamage.Should().Be(0, Tail(trace));
        var files = System.IO.Directory.GetFiles(Directory, "queue-*.seg").Select(Path.GetFileName).OrderBy(f => f).ToList();
        files.Should().Equal(segments.Select(s => Path.GetFileName(s.Path)).OrderBy(f => f), Tail(trace));
        log.TotalBytes.Should().BeLessThanOrEqualTo(files.Sum(f => new FileInfo(Path.Combine(Directory, f!)).Length), Tail(trace));
    }

    private void CheckRestart(HashSet<long> unsettled, HashSet<long> settled, List<string> trace)
    {
        var copy = Directory + "-copy";
        if (System.IO.Directory.Exists(copy))
        {
            System.IO.Directory.Delete(copy, true);
        }

        System.IO.Directory.CreateDirectory(copy);
        foreach (var f in System.IO.Directory.GetFiles(Directory))
        {
            File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        }

        try
        {
            var loaded = SegmentLoader.Load(copy, long.MaxValue);
            using var log = new SegmentLog(copy, SegmentSize, loaded.Segments, loaded.MaxId);
            var into = new List<StoredRecord>();
            log.Read(1_000_000, 0, into, out _);
            var ids = into.Select(r => r.AcceptedMs).ToList();
            ids.Should().OnlyHaveUniqueItems(Tail(trace));
            unsettled.Except(ids).Should().BeEmpty($"lost at restart; {Tail(trace)}");
            ids.All(id => unsettled.Contains(id) || settled.Contains(id)).Should().BeTrue();
            loaded.Segments.Sum(s => (long)s.Pending).Should().Be(ids.Count, Tail(trace));
        }
        finally
        {
            System.IO.Directory.Delete(copy, true);
        }
    }
}
