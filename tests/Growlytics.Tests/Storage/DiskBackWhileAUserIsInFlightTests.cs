using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The disk comes back (found by a write of its own) while memory holds a user's messages and the oldest of them is in a
/// request still on its way: the later ones, handed to the folder, must not end up ahead of it there. At shutdown the
/// request is abandoned and its message written to the folder, and the README says a stored message goes again before its
/// user's later messages.
/// </summary>
public sealed class DiskBackWhileAUserIsInFlightTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task DiskBack_UserOldestMessageInARequest_AllArriveInCallOrderAfterTheRestart()
    {
        var collector = new StorageCollector { Up = true, HangWhen = numbers => numbers.Contains(0) };
        var diskFull = 1;
        var client = NewClient(collector, o =>
        {
            o.MaxBatchSize = 1;
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.StorageWriteFault = () => Volatile.Read(ref diskFull) == 1 ? new IOException("No space left on device", 28) : null;
        });
        try
        {
            // The disk full: the user's messages go to memory; the first is sent and hangs (a slow service).
            PushNumbers(client, 0, 1);
            await DriveUntilAsync(() => Volatile.Read(ref collector.Hanging) == 1, Step);
            PushNumbers(client, 1, 3);
            await DriveUntilAsync(() => client.Memory.SentWithoutStorage, Step);

            // The disk has room again: the writer finds it by a write of its own, and takes what memory holds in no request.
            Volatile.Write(ref diskFull, 0);
            var back = Time.GetUtcNow();
            await DriveUntilAsync(() => Time.GetUtcNow() - back >= DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(2), Step);
            await WrittenAsync(client);
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
        }

        client.Statistics.Dropped.Should().Be(0);

        // The next start delivers what the folder kept.
        collector.HangWhen = null;
        await using var next = NewClient(collector);
        var flush = next.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && collector.Numbers.Count == 4, Step);
        collector.Messages.Select(m => m.N).Should().Equal([0L, 1L, 2L, 3L], "one user's messages arrive in call order: the one in the abandoned request goes before its later ones");
    }
}
