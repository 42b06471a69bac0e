using System.Collections;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Delivered messages carry later calls (<see cref="MessagePool"/>): only once delivered, never while a retry or a kept
/// message may still send them, and each later call sends its own values. Calls validate into a reused array; a call made
/// while another validates (from its dictionary's enumerator) keeps its own.
/// </summary>
public sealed class MessageReuseTests
{
    [Fact]
    public async Task Delivered_MessagesGoBackToThePool_AndLaterCallsSendTheirOwnValues()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => o.MessagePool = pool);

        // Answers wait until a round's calls are all made: no message comes back while calls are being made.
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = async _ =>
        {
            await Volatile.Read(ref answer).Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        h.PushMany(250, text: "first");
        answer.SetResult(true);
        await h.FlushAsync();
        pool.KeptMessages.Should().Be(250, "every delivered message came back");

        Volatile.Write(ref answer, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        h.PushMany(250, from: 1_000, text: "second");
        pool.KeptMessages.Should().Be(0, "the second calls took the delivered messages");
        answer.SetResult(true);
        await h.FlushAsync();

        var sent = h.Requests.SelectMany(r => r.Messages).ToList();
        sent.Select(DeliveryHarness.NumberOf).Should().Equal(Enumerable.Range(0, 250).Concat(Enumerable.Range(1_000, 250)).Select(n => (long)n));
        sent.Take(250).Should().OnlyContain(m => Text(m) == "first");
        sent.Skip(250).Should().OnlyContain(m => Text(m) == "second");
        sent.Select(m => m.GetProperty("messageId").GetString()).Should().OnlyHaveUniqueItems();
        pool.KeptMessages.Should().Be(250);
        h.AssertBalanced();
    }

    [Fact]
    public async Task Shutdown_LetsGoOfWhatTheClientsCallsLeftInThePool_BeyondWhatIsKeptWhenQuiet()
    {
        var pool = new MessagePool();
        var h = new DeliveryHarness(o => o.MessagePool = pool);
        try
        {
            h.PushMany(1_000);
            await h.FlushAsync();

            // 20,000 taken at once (every kept one among them, so no regular trim finds any unneeded) and given back.
            var taken = Enumerable.Range(0, 20_000)
                .Select(i => pool.Rent(MessageType.Update, i, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("n", i)]))
                .ToList();
            taken.ForEach(pool.Return);
            pool.KeptMessages.Should().Be(20_000);
        }
        finally
        {
            await h.DisposeAsync();
        }

        pool.KeptMessages.Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
    }

    [Fact]
    public async Task FailedRequest_ItsMessagesAreNotReusedUntilDelivered()
    {
        var pool = new MessagePool();
        var retryHeld = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness(o => o.MessagePool = pool);
        var answered = 0;
        h.Responder = async _ =>
        {
            if (Interlocked.Increment(ref answered) == 1)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            await retryHeld.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        h.PushMany(10, text: "kept");
        try
        {
            // The retry is sent (so the failure was settled) and held: the messages are still the dispatcher's.
            await h.AdvanceUntilAsync(() => h.Requests.Count >= 2);
            pool.KeptMessages.Should().Be(0, "a message whose request failed waits for its retry");
        }
        finally
        {
            retryHeld.TrySetResult(true);
        }

        await h.FlushAsync();
        pool.KeptMessages.Should().Be(10);
        var retried = h.Requests[1];
        retried.Numbers.Should().Equal(Enumerable.Range(0, 10).Select(n => (long)n));
        retried.Messages.Should().OnlyContain(m => Text(m) == "kept");
        retried.MessageIds.Should().Equal(h.Requests[0].MessageIds, "the retry sends the same messages");
        h.AssertBalanced();
    }

    [Fact]
    public void Push_FromTheEnumeratorOfAnotherPushsDictionary_EachCallKeepsItsOwnAttributes()
    {
        using var harness = new CallerHarness();
        var inner = new Dictionary<string, object?> { ["plan"] = "pro", ["seats"] = 5 };
        var outer = new EnumerationHook(
            new Dictionary<string, object?> { ["city"] = "Pune", ["age"] = 41, ["vip"] = true },
            () => harness.User.Push(inner));

        // A call first, so this thread has an array to validate into when the outer call starts.
        harness.User.Push(new Dictionary<string, object?> { ["warm"] = 1 });
        harness.Drain();

        harness.User.Push(outer);

        var messages = harness.Drain();
        messages.Should().HaveCount(2);
        messages[0].Attributes.Select(a => (a.Name, a.Value)).Should().Equal(("plan", (object)"pro"), ("seats", 5));
        messages[1].Attributes.Select(a => (a.Name, a.Value)).Should().Equal(("city", (object)"Pune"), ("age", 41), ("vip", true));
    }

    [Fact]
    public void Enqueue_MessageReusedRightAfterItIsQueued_CountsTheBytesOfTheCallThatQueuedIt()
    {
        var pool = new MessagePool();
        var counters = new GrowlyticsSdk.Diagnostics.DeliveryCounters();
        var options = new GrowlyticsOptions { TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider() };
        var queue = new MessageQueue(options, 100, 500_000, counters, new GrowlyticsSdk.Threading.WakeSignal(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var message = pool.Rent(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("city", "Pune")]);
        var expected = MessageSize.EstimateJson(message);

        // As if the message were read, delivered and taken by another call the moment it is in the queue.
        queue.AfterQueueWrite = queued =>
        {
            pool.Return(queued);
            pool.Rent(MessageType.Update, 2, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("biography", new string('x', 5_000))])
                .Should().BeSameAs(queued);
        };
        queue.Enqueue(message);

        queue.UnreadJson.Should().Be(expected);
    }

    private static string? Text(System.Text.Json.JsonElement message) =>
        message.GetProperty("attributes").EnumerateArray().First(a => a.GetProperty("name").GetString() == "text").GetProperty("value").GetString();

    /// <summary>A dictionary whose first enumeration runs <paramref name="onEnumerate"/> after its first entry.</summary>
    private sealed class EnumerationHook(Dictionary<string, object?> inner, Action onEnumerate) : IReadOnlyDictionary<string, object?>
    {
        private int _hooked;

        public int Count => inner.Count;

        public IEnumerable<string> Keys => inner.Keys;

        public IEnumerable<object?> Values => inner.Values;

        public object? this[string key] => inner[key];

        public bool ContainsKey(string key) => inner.ContainsKey(key);

        public bool TryGetValue(string key, out object? value) => inner.TryGetValue(key, out value);

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            var first = true;
            foreach (var entry in inner)
            {
                yield return entry;
                if (first && Interlocked.Exchange(ref _hooked, 1) == 0)
                {
                    onEnumerate();
                }

                first = false;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
