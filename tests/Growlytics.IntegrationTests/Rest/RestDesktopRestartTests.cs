using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// A desktop app (process-wide session, <see cref="GrowlyticsOptions.StorageDirectory"/>) that restarts between an
/// anonymous push and the login: the held attributes survive in the session file and go with the login's upsert.
/// </summary>
public sealed class RestDesktopRestartTests
{
    [Fact]
    public async Task Restart_BetweenAnAnonymousPushAndTheLogin_TheUpsertCarriesThePushedAttribute()
    {
        using var folder = new TempFolder();
        await using var collector = await RestCollector.StartAsync();
        var options = new GrowlyticsOptions
        {
            ApiKey = RestCollector.ApiKey,
            Endpoint = collector.Endpoint,
            SessionMode = SessionMode.ProcessWide,
            StorageDirectory = folder.Sub("growlytics"),
        };

        string anonymousId;
        await using (var first = new GrowlyticsClient(options))
        {
            first.User.Push(new Dictionary<string, object?> { ["city"] = "Pune", ["theme"] = "light" });
            first.User.Push(new Dictionary<string, object?> { ["theme"] = "dark" });
            anonymousId = first.User.AnonymousId;
            await FlushAsync(first);
            await first.ShutdownAsync();

            var statistics = first.Statistics;
            (statistics.Enqueued, statistics.Pending, statistics.Dropped).Should().Be((2, 2, 0), "with storage the held pushes stay pending in the session file");
        }

        collector.Requests.Should().BeEmpty();

        await using (var second = new GrowlyticsClient(options))
        {
            second.User.AnonymousId.Should().Be(anonymousId, "the session continues");
            second.User.IsIdentified.Should().BeFalse();
            (second.Statistics.Enqueued, second.Statistics.Pending).Should().Be((2, 2), "the restored pushes count as accepted and pending again");

            second.User.Identify("u-desktop", new Dictionary<string, object?> { ["plan"] = "pro" });

            // With storage, FlushAsync waits for the disk, not for the collector.
            await EventuallyAsync(() => second.Statistics.Delivered == 3, "the login's upsert is delivered");

            var statistics = second.Statistics;
            (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((3, 3, 0, 0));
        }

        var upsert = collector.Requests.Should().ContainSingle().Subject;
        (upsert.Id, upsert.Status).Should().Be(("u-desktop", 200));
        upsert.AttributeMap.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["city"] = "\"Pune\"",
            ["theme"] = "\"dark\"",
            ["plan"] = "\"pro\"",
        });

        // Sent once: a third start has nothing held and nothing stored.
        await using (var third = new GrowlyticsClient(options))
        {
            third.User.UserId.Should().Be("u-desktop");
            await FlushAsync(third);
            (third.Statistics.Enqueued, third.Statistics.Restored).Should().Be((0, 0));
        }

        collector.Requests.Should().HaveCount(1);
    }
}
