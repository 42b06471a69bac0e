using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A request out of retries while the service accepts others is kept with the short pause (<c>RetryBaseDelay</c>) only when
/// failures are a minority of the latest 32 attempts on the wire, of which at least 16 must be known; otherwise it pauses
/// for <c>MaxRetryDelay</c>. Each attempt below goes alone, in a known order: a request accepted or refused at a time, then
/// the kept request, held until another user's request was accepted meanwhile.
/// </summary>
public sealed class RecentFailuresWindowTests
{
    private const string Accepted = "anon-accepted";
    private const string Kept = "anon-kept";
    private const long KeptNumber = 99_999;
    private const long FirstRefused = 10_000;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData(13, false)]
    [InlineData(14, true)]
    public async Task Kept_AfterAcceptedRequestsAlone_ShortPauseOnlyOnceSixteenAttemptsAreKnown(int acceptedBefore, bool isolated)
    {
        // The attempts known when it is kept: those accepted before, the one accepted while it was tried, and its own.
        var (seenIsolated, pause) = await KeepAfterAsync(Enumerable.Repeat(false, acceptedBefore));

        seenIsolated.Should().Be(isolated, $"{acceptedBefore + 2} attempts are known, of which one failed");
        AssertPause(pause, isolated);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Kept_HalfOfTheLatest32AttemptsFailed_PausesForTheMaximum_TheOneBeforeThemIsForgotten(bool thirtySecondLatestFailed, bool isolated)
    {
        // Oldest first: an accepted attempt (the 33rd latest once the kept one failed), the 32nd latest, then 29 attempts
        // of which 14 failed (alternating, so the circuit stays closed), then the accepted one and the kept one's failure.
        var before = new List<bool> { false, thirtySecondLatestFailed };
        for (var i = 0; i < 29; i++)
        {
            before.Add(i % 2 == 1);
        }

        var (seenIsolated, pause) = await KeepAfterAsync(before);

        seenIsolated.Should().Be(isolated, thirtySecondLatestFailed
            ? "16 of the latest 32 attempts failed (not the 33rd latest, accepted: forgotten), which is not a minority, though 15 of the latest 31 are"
            : "15 of the latest 32 attempts failed, a minority");
        AssertPause(pause, isolated);
    }

    private static void AssertPause(TimeSpan pause, bool isolated)
    {
        if (isolated)
        {
            pause.Should().BeLessThan(MaxRetryDelay / 2, "the failure is the request's own: it is tried again after RetryBaseDelay (100 ms)");
        }
        else
        {
            pause.Should().BeGreaterThanOrEqualTo(MaxRetryDelay, "nothing says the failure is the request's own");
        }
    }

    /// <summary>
    /// Sends one request per outcome of <paramref name="failures"/> (oldest first; <see langword="true"/>: refused, kept),
    /// each once the one before was heard; then the kept request, refused once another was accepted while it was tried.
    /// Returns whether its result was isolated, and how long after its refusal it was tried again.
    /// </summary>
    private static async Task<(bool Isolated, TimeSpan Pause)> KeepAfterAsync(IEnumerable<bool> failures)
    {
        (bool, TimeSpan) outcome = default;
        await DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            o =>
            {
                o.MaxBatchSize = 1;
                o.MaxRetryAttempts = 0;
                o.MaxRetryDelay = MaxRetryDelay;
            },
            async h =>
            {
                var users = failures.Select((_, i) => "anon-refused-" + i).Append(Accepted).Append(Kept).ToList();
                var partitions = new PartitionSet(PartitionSet.CountFor(h.Options));
                users.Select(partitions.PartitionOf).Should().OnlyHaveUniqueItems("no request waits behind another user's kept one");

                // Refused at their first attempt: the kept one once the test says so, the others at once.
                var attempts = new ConcurrentDictionary<long, int>();
                var keptTried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var refuseKept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                DeliveryRequest? keptAgain = null;
                h.Responder = async r =>
                {
                    var number = r.Numbers.Single();
                    if (number < FirstRefused || attempts.AddOrUpdate(number, 1, (_, n) => n + 1) > 1)
                    {
                        if (number == KeptNumber)
                        {
                            Volatile.Write(ref keptAgain, r);
                        }

                        return new HttpResponseMessage(HttpStatusCode.OK);
                    }

                    if (number == KeptNumber)
                    {
                        keptTried.SetResult();
                        await refuseKept.Task;
                    }

                    return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                };

                var kept = new ConcurrentQueue<SendResult>();
                h.Client.Dispatcher.BeforeAnswerHeard = results =>
                {
                    foreach (var result in results ?? [])
                    {
                        if (result.Outcome == SendOutcome.Kept)
                        {
                            kept.Enqueue(result);
                        }
                    }

                    return Task.CompletedTask;
                };

                long accepted = 0;
                var refused = 0;
                foreach (var failed in failures)
                {
                    if (failed)
                    {
                        h.Push(FirstRefused + refused, "anon-refused-" + refused);
                        var heard = ++refused;
                        await DeliveryHarness.WaitUntilAsync(() => kept.Count == heard);
                    }
                    else
                    {
                        h.Push(accepted, Accepted);
                        var heard = ++accepted;
                        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == heard);
                    }
                }

                h.Push(KeptNumber, Kept);
                await keptTried.Task.WaitAsync(DeliveryHarness.RealTimeout);
                h.Push(accepted, Accepted);
                await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == accepted + 1);

                // Refused while the clock stands still; back in its partition (its pause set) before the clock moves.
                var staged = h.Client.Dispatcher.StagedCount;
                var refusedAt = h.Time.GetUtcNow();
                refuseKept.SetResult();
                await DeliveryHarness.WaitUntilAsync(() => kept.Count == refused + 1 && h.Client.Dispatcher.StagedCount == staged + 1);
                var isolated = kept.Last().Isolated;

                await h.AdvanceUntilAsync(() => Volatile.Read(ref keptAgain) is not null, TimeSpan.FromSeconds(1));
                outcome = (isolated, keptAgain!.At - refusedAt);
                h.AssertBalanced();
            });
        return outcome;
    }
}
