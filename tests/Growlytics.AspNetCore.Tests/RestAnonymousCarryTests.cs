using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// ASP.NET Core on the REST protocol: what a visitor pushes while anonymous is carried by the anonymous-id cookie to the
/// request that logs them in (an <c>Identify</c>, or a request whose principal is already authenticated), and sent with
/// that login as one upsert. Without the cookie each request is a new visitor, and the push is counted when it expires.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class RestAnonymousCarryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnonymousPushThenIdentifyInALaterRequestWithTheSameCookie_SendsOneUpsertCarryingBoth()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint);
        using var browser = NewBrowser(web.Address, cookies: true);

        var anonymous = await PostAsync(browser, "/browse?city=Pune");
        await web.Client.FlushAsync().WaitAsync(Deadline);
        collector.Upserts.Should().BeEmpty("an anonymous push waits for the login");
        (web.Client.Statistics.Enqueued, web.Client.Statistics.Pending).Should().Be((1, 1));

        var login = await PostAsync(browser, "/login?user=alice");
        await web.Client.FlushAsync().WaitAsync(Deadline);

        login.AnonymousId.Should().Be(anonymous.AnonymousId, "the cookie carries the visitor between requests");
        var upsert = collector.Upserts.Should().ContainSingle().Subject;
        upsert.Id.Should().Be("alice");
        upsert.Attributes.Should().BeEquivalentTo(new Dictionary<string, string> { ["city"] = "\"Pune\"", ["plan"] = "\"pro\"" });
        var statistics = web.Client.Statistics;
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((2, 2, 0, 0), "the upsert settles the push and the login");
    }

    [Fact]
    public async Task ManyVisitorsAtOnce_EachLoginCarriesOnlyItsOwnVisitorsPush()
    {
        const int Visitors = 20;
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint);

        await Task.WhenAll(Enumerable.Range(0, Visitors).Select(async i =>
        {
            using var browser = NewBrowser(web.Address, cookies: true);
            await PostAsync(browser, $"/browse?city=city-{i}");
            await PostAsync(browser, $"/login?user=user-{i}");
        }));
        await web.Client.FlushAsync().WaitAsync(Deadline);

        collector.Upserts.Should().HaveCount(Visitors);
        foreach (var upsert in collector.Upserts)
        {
            var visitor = upsert.Id["user-".Length..];
            upsert.Attributes.Should().BeEquivalentTo(new Dictionary<string, string> { ["city"] = $"\"city-{visitor}\"", ["plan"] = "\"pro\"" });
        }

        web.Client.Statistics.Delivered.Should().Be(2 * Visitors);
    }

    [Fact]
    public async Task RequestThatStartsIdentified_IsTheLoginOfTheAnonymousIdItCarries()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint);
        using var browser = NewBrowser(web.Address, cookies: true);

        var anonymous = await PostAsync(browser, "/browse?city=Delhi");
        var signedIn = await PostAsync(browser, "/signin?user=bob");
        await web.Client.FlushAsync().WaitAsync(Deadline);

        signedIn.UserId.Should().BeNull("this request's scope started anonymous: signing in does not identify it");
        collector.Upserts.Should().BeEmpty();

        var me = (await browser.GetFromJsonAsync<RestSessionView>("/me"))!;
        await web.Client.FlushAsync().WaitAsync(Deadline);

        (me.UserId, me.AnonymousId).Should().Be(("bob", anonymous.AnonymousId), "the principal and the cookie start the scope identified");
        var upsert = collector.Upserts.Should().ContainSingle("the identified scope is the visitor's login").Subject;
        upsert.Id.Should().Be("bob");
        upsert.Attributes.Should().BeEquivalentTo(new Dictionary<string, string> { ["city"] = "\"Delhi\"" });

        await browser.GetFromJsonAsync<RestSessionView>("/me");
        await web.Client.FlushAsync().WaitAsync(Deadline);
        collector.Upserts.Should().HaveCount(1, "the held attributes were sent once");
        var statistics = web.Client.Statistics;
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((1, 1, 0, 0));
    }

    [Fact]
    public async Task WithoutTheCookie_NothingCarries_AndTheAnonymousPushIsCountedAnonymousExpiredAfterTheRetention()
    {
        var clock = new ShiftedClock();
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint, o => o.TimeProvider = clock);
        var dropped = new ConcurrentQueue<MessageDroppedEventArgs>();
        web.Client.MessageDropped += (_, e) => dropped.Enqueue(e);
        using var browser = NewBrowser(web.Address, cookies: false);

        var anonymous = await PostAsync(browser, "/browse?city=Goa");
        var login = await PostAsync(browser, "/login?user=carol");
        await web.Client.FlushAsync().WaitAsync(Deadline);

        login.AnonymousId.Should().NotBe(anonymous.AnonymousId, "without the cookie each request is a new visitor");
        var upsert = collector.Upserts.Should().ContainSingle().Subject;
        upsert.Id.Should().Be("carol");
        upsert.Attributes.Should().BeEquivalentTo(new Dictionary<string, string> { ["plan"] = "\"pro\"" }, "the push of another request's visitor is not carried");
        (web.Client.Statistics.Delivered, web.Client.Statistics.Pending).Should().Be((1, 1), "the push is still held for a login that will not come");

        // Past AnonymousAttributeRetention (30 minutes by default); any visitor's request checks for expiry.
        clock.Advance(TimeSpan.FromMinutes(31));
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/me"))
        {
            request.Headers.Add("Cookie", $"{RestTestWebApp.AnonymousCookie}=another-visitor");
            (await browser.SendAsync(request)).EnsureSuccessStatusCode();
        }

        var statistics = web.Client.Statistics;
        statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((2, 1, 1, 0));

        // Reported on a pool thread, shortly after the request that found it expired.
        for (var waited = 0; waited < 2_000 && dropped.IsEmpty; waited++)
        {
            await Task.Delay(10);
        }

        dropped.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Reason = DropReason.AnonymousExpired, Count = 1, CustomerId = (string?)null });
        collector.Upserts.Should().HaveCount(1);
    }

    [Fact]
    public async Task LogoutInALaterRequestWithoutAuthentication_RotatesTheCookie_AndTheNextLoginGetsNothingOfThePreviousUser()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint);
        using var browser = NewBrowser(web.Address, cookies: true);

        // One shared browser, no authentication (README's ASP.NET Core sample): each request starts anonymous, so
        // alice's push after her login is held for the cookie's anonymous id.
        var alice = await PostAsync(browser, "/identify?user=alice");
        await PostAsync(browser, "/browse?city=alice-home");
        var afterLogout = await PostAsync(browser, "/logout");
        await PostAsync(browser, "/identify?user=bob");
        await web.Client.FlushAsync().WaitAsync(Deadline);

        afterLogout.AnonymousId.Should().NotBe(alice.AnonymousId, "a logout starts a fresh anonymous id, and the cookie carries it");
        var bob = collector.Upserts.Should().ContainSingle(u => u.Id == "bob").Subject;
        bob.Attributes.Should().NotContainKey("city", "what was pushed before the logout must not reach the next user's profile");
    }

    [Fact]
    public async Task LogoutInALaterRequestWithoutAuthentication_ALoginThatStillSendsTheOldIdGetsNothingOfThePreviousUser()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint);
        using var browser = NewBrowser(web.Address, cookies: true);
        using var otherTab = NewBrowser(web.Address, cookies: false);

        var alice = await PostAsync(browser, "/identify?user=alice");
        await PostAsync(browser, "/browse?city=alice-home");
        await PostAsync(browser, "/logout");
        var cookie = $"{RestTestWebApp.AnonymousCookie}={alice.AnonymousId}";
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/identify?user=bob"))
        {
            // A tab (or a client) that did not see the logout's new cookie.
            request.Headers.Add("Cookie", cookie);
            (await otherTab.SendAsync(request)).EnsureSuccessStatusCode();
        }

        await web.Client.FlushAsync().WaitAsync(Deadline);

        var bob = collector.Upserts.Should().ContainSingle(u => u.Id == "bob").Subject;
        bob.Attributes.Should().NotContainKey("city", "the logout dropped what was held for the id it replaced");
        var statistics = web.Client.Statistics;
        statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        (statistics.Enqueued, statistics.Delivered + statistics.Dropped + statistics.Pending).Should().Be((3, 3));
    }

    private static HttpClient NewBrowser(Uri address, bool cookies) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = cookies }) { BaseAddress = address };

    private static async Task<RestSessionView> PostAsync(HttpClient browser, string path)
    {
        using var response = await browser.PostAsync(path, null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RestSessionView>())!;
    }

    /// <summary>
    /// System time moved forward on demand, as if that much time had passed: the wall clock and the monotonic one (which
    /// the SDK measures inactivity on) move together; timers and timeouts run as usual.
    /// </summary>
    private sealed class ShiftedClock : TimeProvider
    {
        private long _offsetTicks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

        public override long GetTimestamp() =>
            TimeProvider.System.GetTimestamp() + (long)(Interlocked.Read(ref _offsetTicks) / (double)TimeSpan.TicksPerSecond * TimestampFrequency);
    }
}
