using System.Text.Json;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// Threads calling one session at once (Push, Identify of the same or another user, Logout, FlushAsync) with seeded
/// interleavings, delivered with <see cref="GrowlyticsProtocol.Batch"/>: what arrives is what some sequential order of
/// the calls, keeping each thread's own order, sends. Per anonymous id the messages form one session's history (a user
/// only after a login, the same user until the logout, nothing after the logout), each thread's pushes arrive in its
/// call order and once, and every call is counted.
/// </summary>
public sealed class SessionLinearizabilityTests
{
    private const int Threads = 4;
    private const int CallsPerThread = 400;

    [Theory]
    [InlineData(31, false, false)]
    [InlineData(32, true, false)]
    [InlineData(33, false, true)]
    public async Task ManyThreadsOnOneSession_WhatArrivesIsOneSequentialHistory(int seed, bool scoped, bool storage)
    {
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", "linearizability-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var h = new DeliveryHarness(o =>
            {
                o.StorageDirectory = storage ? folder : null;
                o.MaxBatchSize = 16;
            });
            using var scope = scoped ? h.Client.BeginScope() : null;
            var user = h.Client.User;
            using var start = new Barrier(Threads);
            var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
                () =>
                {
                    var random = new Random((seed * 100) + t);
                    start.SignalAndWait();
                    for (var seq = 1; seq <= CallsPerThread; seq++)
                    {
                        var roll = random.Next(100);
                        var values = new Dictionary<string, object?> { ["n"] = seq, ["t"] = t };
                        if (roll < 70)
                        {
                            user.Push(values);
                        }
                        else if (roll < 80)
                        {
                            user.Identify(random.Next(2) == 0 ? "u-shared" : $"u-{t}", values);
                        }
                        else if (roll < 95)
                        {
                            user.Logout();
                        }
                        else
                        {
                            h.Client.FlushAsync().Wait(DeliveryHarness.RealTimeout).Should().BeTrue("a flush ends");
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
            await h.RunAsync(Task.WhenAll(workers));
            await h.FlushAsync();

            var statistics = h.AssertBalanced();
            statistics.Pending.Should().Be(0);
            statistics.Dropped.Should().Be(0);
            var messages = h.Accepted.SelectMany(r => r.Messages).ToList();
            messages.Should().HaveCount((int)statistics.Delivered, "each accepted call arrives as one message");
            messages.Select(m => m.GetProperty("messageId").GetString()).Should().OnlyHaveUniqueItems("a message arrives once");

            var histories = messages.GroupBy(m => m.GetProperty("anonymousId").GetString()!).ToList();
            histories.Should().HaveCountGreaterThan(20, "the threads log in and out many times");
            foreach (var history in histories)
            {
                CheckOneSession(history.Key, history.ToList());
            }

            // The session as it ends is the last state of that history.
            var last = messages.Where(m => m.GetProperty("anonymousId").GetString() == user.AnonymousId).ToList();
            if (last.Count > 0)
            {
                last[^1].GetProperty("type").GetString().Should().NotBe("logout", "the current anonymous id was never logged out");
                if (user.UserId is { } current)
                {
                    last.Should().Contain(m => m.GetProperty("type").GetString() == "login" && UserOf(m) == current);
                }
            }

            if (storage)
            {
                // A restart continues the session as the last call left it.
                var (anonymousId, userId) = (user.AnonymousId, user.UserId);
                await h.RunAsync(h.Client.ShutdownAsync());
                using var restarted = new GrowlyticsClient(new GrowlyticsOptions
                {
                    ApiKey = DeliveryHarness.ApiKey,
                    Endpoint = new Uri("http://127.0.0.1:9/"),
                    Protocol = GrowlyticsProtocol.Batch,
                    StorageDirectory = folder,
                    SessionMode = SessionMode.ProcessWide,
                    FlushOnProcessExit = false,
                }, startDelivery: false);
                (restarted.User.AnonymousId, restarted.User.UserId).Should().Be((anonymousId, userId), "the session file holds the last state");
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static void CheckOneSession(string anonymousId, List<JsonElement> history)
    {
        string? current = null;
        var loggedOut = false;
        var lastOfThread = new Dictionary<long, long>();
        foreach (var message in history)
        {
            var type = message.GetProperty("type").GetString();
            loggedOut.Should().BeFalse("nothing follows the logout of anonymous id {0} (a fresh id carries what comes after)", anonymousId);
            switch (type)
            {
                case "login":
                    current.Should().BeNull("a login under {0} comes while nobody is logged in there (another user is logged out first, under the id before)", anonymousId);
                    current = UserOf(message);
                    break;
                case "update":
                    UserOf(message).Should().Be(current, "an update under {0} goes to the user logged in there at that moment", anonymousId);
                    break;
                case "logout":
                    current.Should().NotBeNull("a logout under {0} ends a login", anonymousId);
                    UserOf(message).Should().Be(current);
                    loggedOut = true;
                    break;
            }

            if (type != "logout")
            {
                var attributes = message.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("value").GetInt64());
                var thread = attributes["t"];
                var n = attributes["n"];
                if (lastOfThread.TryGetValue(thread, out var before))
                {
                    n.Should().BeGreaterThan(before, "thread {0}'s calls under {1} arrive in its call order", thread, anonymousId);
                }

                lastOfThread[thread] = n;
            }
        }
    }

    private static string? UserOf(JsonElement message) =>
        message.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
}
