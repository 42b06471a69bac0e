namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client that took a folder over sends stored records (restored from the previous owner) and messages it kept in memory
/// while the folder was held. At shutdown the requests carrying memory's messages are abandoned so those can be written to
/// the folder, and sending resumes within the deadline: a stored message abandoned with them must still go before the later
/// messages of its customer, not wait on disk for the next start while they are sent.
/// </summary>
public sealed class AbandonedStoredOrderTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task ShutdownAfterATakeOver_StoredMessageAbandonedWhileMemoryGoesToTheFolder_LaterOnesOfItsCustomerStayBehindIt()
    {
        // The first client stores the customer's 0, 1 and 2 (its service is down) and holds the folder.
        var first = NewClient(new StorageCollector());
        UpdateCustomer(first, "p", 0, 1, 2);
        await StoredAsync(first);

        // The second client's service takes requests; it never answers the one carrying the other customer's 100, nor the
        // first one carrying 0 (in flight, as a request waiting out its retries is, when the shutdown begins).
        var hungZero = 0;
        var collector = new StorageCollector
        {
            Up = true,
            HangWhen = numbers => numbers.Contains(100) || (numbers.Contains(0) && Interlocked.Exchange(ref hungZero, 1) == 0),
        };
        var logs = new RecordingLoggerFactory();
        var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
            o.MaxBatchSize = 1;
        });

        // Held by the first client: the second sends 100 from memory.
        UpdateCustomer(second, "m", 100);
        await DriveUntilAsync(() => Volatile.Read(ref collector.Hanging) >= 1, Step);

        // The first client lets go; the second takes the folder over and sends what it restored: 0 in flight, 1 and 2
        // behind it.
        await ShutDownDrivingAsync(first, Step);
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);
        await DriveUntilAsync(() => Volatile.Read(ref collector.Hanging) >= 2, Step, () => $"hanging {collector.Hanging}");

        // The shutdown abandons the requests in flight to write 100 to the folder, then sends on within its deadline (the
        // service now answers 0): 0 first, not 1 and 2 while 0 waits on disk for the next start.
        await ShutDownDrivingAsync(second, Step);
        CustomerNumbers(collector).Should().Equal([0L, 1L, 2L], "a customer's message is never sent while an earlier one waits on disk");

        // Whatever was left goes at the next start, the service answering every request: the customer's messages arrived
        // in call order, none lost.
        collector.HangWhen = null;
        await using var next = NewClient(collector);
        var flush = next.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && next.Statistics.Pending == 0, Step);
        CustomerNumbers(collector).Should().Equal([0L, 1L, 2L], "one customer's messages arrive in call order");
        collector.Numbers.Should().Contain(100L, "memory's message was written to the folder at shutdown");
    }

    private static void UpdateCustomer(GrowlyticsClient client, string customer, params long[] numbers)
    {
        foreach (var n in numbers)
        {
            client.Customers.Update(customer, new Dictionary<string, object?> { ["n"] = n });
        }
    }

    // The numbers the collector recorded for the customer p's messages (0 to 99), each at its first arrival.
    private static List<long> CustomerNumbers(StorageCollector collector) =>
        collector.Messages.Where(m => m.N is >= 0 and < 100).Select(m => m.N!.Value).Distinct().ToList();
}
