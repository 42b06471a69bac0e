using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A kept message (out of retries, kept for a later try) that the service refuses again after it accepted 32 other requests
/// is dropped, and the drops are logged (event 2014) at most once a minute, with the drops since the line before; those
/// counted after the last line are logged at shutdown, as those of events 2004, 2005 and 2008 are.
/// </summary>
public sealed class KeptRefusalLogTests
{
    private const string Others = "anon-accepted";
    private const int Accepted = 40;

    // Three messages the service refuses, each its own user's: kept after their first attempt, dropped at their second.
    private static readonly (long Number, string User)[] Refused = [(1_001, "anon-refused-a"), (1_002, "anon-refused-b"), (1_003, "anon-refused-c")];

    [Fact]
    public Task KeptMessagesRefusedAgain_ATickShortOfAMinuteAfterTheLine_WaitForTheNextOne_AMinuteAfterItIsWrittenWithThem() =>
        DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            Configure,
            async h =>
            {
                var answers = await KeptAndTriedAgainAsync(h);
                answers[Refused[0].Number].SetResult();
                await DeliveryHarness.WaitUntilAsync(() => h.Log.WithId(2014).Any());

                h.Time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
                answers[Refused[1].Number].SetResult();
                await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Dropped == 2);

                // A later request's delivery is settled by the loop after that drop: its line, had it one, is written by then.
                h.Push(Accepted, Others);
                await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == Accepted + 1);
                h.Log.WithId(2014).Should().ContainSingle("event 2014 is written at most once a minute")
                    .Which.Fields["Count"].Should().Be(1L);

                h.Time.Advance(TimeSpan.FromTicks(1));
                answers[Refused[2].Number].SetResult();
                await DeliveryHarness.WaitUntilAsync(() => h.Log.WithId(2014).Count() == 2);

                var lines = h.Log.WithId(2014).ToList();
                lines[1].Fields["Count"].Should().Be(2L, "a minute after the line before, the next drop is logged with the drops since");
                lines.Should().OnlyContain(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error);
                var stats = h.AssertBalanced();
                stats.DroppedByReason[DropReason.RetriesExhausted].Should().Be(3);
                stats.Pending.Should().Be(0);
            });

    [Fact]
    public Task KeptMessagesRefusedAgain_WithinAMinuteOfTheLine_TheDropsSinceAreLoggedAtShutdown() =>
        DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            Configure,
            async h =>
            {
                var answers = await KeptAndTriedAgainAsync(h);
                answers[Refused[0].Number].SetResult();
                await DeliveryHarness.WaitUntilAsync(() => h.Log.WithId(2014).Any());

                // The clock does not move: the next drops fall within the line's minute.
                answers[Refused[1].Number].SetResult();
                answers[Refused[2].Number].SetResult();
                await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Dropped == Refused.Length);
                h.Push(Accepted, Others);
                await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == Accepted + 1);
                h.Log.WithId(2014).Should().ContainSingle("the drops after the first fall within its minute");

                await h.RunAsync(h.Client.ShutdownAsync());

                h.Log.WithId(2014).Sum(l => Convert.ToInt64(l.Fields["Count"], CultureInfo.InvariantCulture))
                    .Should().Be(Refused.Length, "the drops counted after the last line are logged at shutdown");
                h.Log.WithId(2014).Should().OnlyContain(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error);
                h.AssertBalanced().DroppedByReason[DropReason.RetriesExhausted].Should().Be(Refused.Length);
            });

    private static void Configure(GrowlyticsOptions o)
    {
        o.MaxBatchSize = 1;
        o.MaxRetryAttempts = 0;
    }

    /// <summary>
    /// Pushes the refused messages (kept after their first attempt, with nothing accepted yet), then has the service accept
    /// 40 requests of another user, and moves the clock until each refused message is tried again; returns what answers
    /// those second attempts (a refusal, for good).
    /// </summary>
    private static async Task<Dictionary<long, TaskCompletionSource>> KeptAndTriedAgainAsync(DeliveryHarness h)
    {
        var partitions = new PartitionSet(PartitionSet.CountFor(h.Options));
        Refused.Select(r => partitions.PartitionOf(r.User)).Append(partitions.PartitionOf(Others)).Should().OnlyHaveUniqueItems();

        // First attempts are refused at once; second ones wait until the test answers them, the clock where it wants.
        var attempts = new ConcurrentDictionary<long, int>();
        var answers = Refused.ToDictionary(r => r.Number, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var waiting = 0;
        h.Responder = async r =>
        {
            var refused = Array.Find(Refused, x => r.Numbers.Contains(x.Number)).Number;
            if (refused != 0 && attempts.AddOrUpdate(refused, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref waiting);
                await answers[refused].Task;
            }

            return new HttpResponseMessage(refused == 0 ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable);
        };

        var kept = 0;
        h.Client.Dispatcher.BeforeAnswerHeard = results =>
        {
            if (results is not null && results.Exists(x => x.Outcome == SendOutcome.Kept))
            {
                Interlocked.Increment(ref kept);
            }

            return Task.CompletedTask;
        };

        // Kept with nothing accepted yet; then the service accepts 40 requests of another user.
        foreach (var (number, user) in Refused)
        {
            h.Push(number, user);
        }

        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref kept) == Refused.Length);
        for (var n = 0; n < Accepted; n++)
        {
            h.Push(n, Others);
        }

        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == Accepted);

        // Their pauses end: each is tried again, and waits for its answer.
        await h.AdvanceUntilAsync(() => Volatile.Read(ref waiting) == Refused.Length, TimeSpan.FromSeconds(1));
        h.Log.WithId(2014).Should().BeEmpty("nothing was dropped yet");
        return answers;
    }
}
