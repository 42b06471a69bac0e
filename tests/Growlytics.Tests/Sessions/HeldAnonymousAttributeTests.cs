using System.Collections.Concurrent;
using System.Numerics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.Sessions.RestSessionTests;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST, scoped sessions: anonymous attributes carried by anonymous id from one scope (request) to a later login, with a
/// sliding expiry and a bound on visitors; and the process-wide session's held attributes across a restart.
/// </summary>
public sealed class HeldAnonymousAttributeTests : IDisposable
{
    private const string Visitor = "visitor-1";
    private readonly ConcurrentQueue<MessageDroppedEventArgs> _dropped = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
    private readonly CallerHarness _harness;

    public HeldAnonymousAttributeTests()
    {
        _harness = NewHarness();
    }

    public void Dispose()
    {
        _harness.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void BeginScope_IdentifiedWithTheSameAnonymousId_SendsWhatTheVisitorPushedInAnEarlierScope()
    {
        PushInScope(Visitor, One("city", "Pune"));
        PushInScope(Visitor, One("plan", "free"));

        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.Type, message.UserId, message.Calls).Should().Be((MessageType.Update, "u-1", 2));
        Names(message).Should().Equal("city", "plan");
        _harness.Client.HeldStore!.Count.Should().Be(0);
        _harness.Client.Counters.Held.Should().Be(0);
    }

    [Fact]
    public void Identify_InALaterScopeWithTheSameAnonymousId_CarriesTheEarlierScopesPushes()
    {
        PushInScope(Visitor, One("city", "Pune"));

        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("u-1", One("name", "John Wick"));
        }

        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.UserId, message.Calls).Should().Be(("u-1", 2));
        Names(message).Should().Equal("city", "name");
    }

    [Fact]
    public void BeginScope_AnotherVisitorLogsIn_DoesNotReceiveThisVisitorsAttributes()
    {
        PushInScope(Visitor, One("city", "Pune"));

        using (_harness.Client.BeginScope("visitor-2", "u-2"))
        {
        }

        _harness.Drain().Should().BeEmpty();
        _harness.Client.Statistics.Pending.Should().Be(1);
    }

    [Fact]
    public void HeldPush_VisitorInactiveForTheRetention_IsDroppedAsAnonymousExpiredByTheSweepAndLoggedWithoutValues()
    {
        PushInScope(Visitor, One("city", "Secret-City"));

        _harness.Time.Advance(TimeSpan.FromMinutes(30));

        var statistics = _harness.Client.Statistics;
        statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        statistics.Pending.Should().Be(0);
        statistics.Enqueued.Should().Be(statistics.Dropped + statistics.Pending + statistics.Delivered);
        SpinWait.SpinUntil(() => !_dropped.IsEmpty, TimeSpan.FromSeconds(20)).Should().BeTrue("the expiry is reported on a pool thread");
        var dropped = _dropped.Should().ContainSingle().Subject;
        (dropped.Reason, dropped.Count, dropped.CustomerId).Should().Be((DropReason.AnonymousExpired, 1, (string?)null));
        var log = _harness.Logs.Warnings.Should().ContainSingle(e => e.EventId.Id == 6001).Subject;
        log.Message.Should().NotContain("Secret-City").And.NotContain(Visitor);
        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        _harness.Drain().Should().BeEmpty("what expired is not sent later");
    }

    [Fact]
    public void HeldPush_NoCallsAfterIt_IsDroppedWithinAnEighthOfTheRetentionAfterItExpires()
    {
        // The sweep's timer starts with the first visitor; a second one pushes five minutes later, then nothing comes.
        PushInScope(Visitor, One("city", "Pune"));
        _harness.Time.Advance(TimeSpan.FromMinutes(5));
        PushInScope("anon-later-visitor", One("city", "Pune"));

        // Its retention ends at 35 minutes; an eighth of the retention (3 min 45 s) later it has been swept.
        for (var minutes = 5; minutes < 39; minutes++)
        {
            _harness.Time.Advance(TimeSpan.FromMinutes(1));
        }

        _harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(2, "both visitors' retention has ended, the later one's 4 minutes ago");
        _harness.Client.Statistics.Pending.Should().Be(0);
    }

    [Fact]
    public void HeldPush_VisitorActiveWithinTheWindow_SlidesTheExpiry()
    {
        PushInScope(Visitor, One("city", "Pune"));
        _harness.Time.Advance(TimeSpan.FromMinutes(20));
        using (_harness.Client.BeginScope(Visitor))
        {
        }

        _harness.Time.Advance(TimeSpan.FromMinutes(20));
        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        _harness.Drain().Should().ContainSingle().Which.Calls.Should().Be(1);
        _harness.Client.Statistics.Dropped.Should().Be(0);
    }

    [Fact]
    public void HeldPush_JustBeforeTheRetention_IsStillSent()
    {
        PushInScope(Visitor, One("city", "Pune"));

        _harness.Time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        _harness.Drain().Should().ContainSingle();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HeldPush_WindowEndedBetweenTwoSweeps_IsNotSentNorKeptByALaterVisit(bool visitsAnonymouslyFirst)
    {
        // Pushed as the sweep starts (every eighth of the window: 3 min 45 s) and last a minute later: the visitor's window
        // ends at 31 minutes, after the sweep at 30 and before the one at 33:45.
        PushInScope(Visitor, One("city", "Pune"));
        _harness.Time.Advance(TimeSpan.FromMinutes(1));
        PushInScope(Visitor, One("plan", "free"));
        _harness.Time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        _harness.Client.HeldStore!.Count.Should().Be(1, "no sweep has run since the window ended");

        if (visitsAnonymouslyFirst)
        {
            using (_harness.Client.BeginScope(Visitor))
            {
            }
        }

        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        _harness.Drain().Should().BeEmpty("what expired is not sent, nor made recent again by a visit, whether or not a sweep found it");
        _harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(2);
        _harness.Client.Statistics.Pending.Should().Be(0);
    }

    [Fact]
    public void HeldPush_MoreVisitorsThanTheBound_EvictsTheLeastRecentlyActive()
    {
        using var harness = NewHarness(o => o.MaxHeldAnonymousSessions = 2);
        PushInScope(harness, "v-1", One("a", 1));
        PushInScope(harness, "v-2", One("b", 1));
        PushInScope(harness, "v-1", One("c", 1));

        PushInScope(harness, "v-3", One("d", 1));

        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        harness.Client.HeldStore!.Count.Should().Be(2);
        harness.Logs.Warnings.Should().ContainSingle(e => e.EventId.Id == 6002);
        using (harness.Client.BeginScope("v-2", "u-2"))
        {
        }

        harness.Drain().Should().BeEmpty("v-2 was the least recently active");
        using (harness.Client.BeginScope("v-1", "u-1"))
        {
        }

        harness.Drain().Should().ContainSingle().Which.Calls.Should().Be(2);
    }

    [Fact]
    public void HeldPush_AttributesBeyondMaxQueueBytes_EvictTheLeastRecentlyActiveVisitors()
    {
        // 40 strings of 512 characters take about 43 KB as held: two such visitors are more than the 64 KB bound.
        using var harness = NewHarness(o => o.MaxQueueBytes = 64 * 1024);
        PushInScope(harness, "v-1", Large(40));
        PushInScope(harness, "v-1", One("c", 1));
        PushInScope(harness, "v-2", One("b", 1));

        PushInScope(harness, "v-3", Large(40));

        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(2, "v-1 made room, with its two pushes");
        harness.Client.Statistics.Pending.Should().Be(2);
        harness.Client.HeldStore!.Count.Should().Be(2);
        harness.Logs.Warnings.Should().ContainSingle(e => e.EventId.Id == 6002)
            .Which.Message.Should().Contain("2 anonymous Push call(s) of 1 visitor(s)").And.NotContain(new string('x', 20));
        using (harness.Client.BeginScope("v-1", "u-1"))
        {
        }

        harness.Drain().Should().BeEmpty("v-1 was the least recently active of the visitors taking the memory");
        using (harness.Client.BeginScope("v-2", "u-2"))
        {
        }

        harness.Drain().Should().ContainSingle().Which.Calls.Should().Be(1, "v-2 was kept: only v-1 had to make room");
    }

    [Fact]
    public void HeldPush_OneVisitorAloneBeyondMaxQueueBytes_KeepsIt()
    {
        using var harness = NewHarness(o => o.MaxQueueBytes = 64 * 1024);
        PushInScope(harness, "v-1", Large(40));
        PushInScope(harness, "v-1", Large(80));

        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(0);
        using (harness.Client.BeginScope("v-1", "u-1"))
        {
        }

        var message = harness.Drain().Should().ContainSingle().Subject;
        (message.Calls, message.Attributes.Length).Should().Be((2, 80));
    }

    [Fact]
    public void HeldPush_ValuesReplacedAndTaken_ReleaseTheirBytes()
    {
        using var harness = NewHarness(o => o.MaxQueueBytes = 64 * 1024);

        // Each visitor's 40 values are replaced by short ones, then a login takes another's: had the bytes not been
        // released, the later large visitors would have evicted the earlier ones.
        PushInScope(harness, "v-1", Large(40));
        PushInScope(harness, "v-1", Large(40, length: 1));
        PushInScope(harness, "v-2", Large(40));
        using (harness.Client.BeginScope("v-2", "u-2"))
        {
        }

        PushInScope(harness, "v-3", Large(40));

        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(0);
        harness.Client.HeldStore!.Count.Should().Be(2);
    }

    [Fact]
    public void Login_ManyVisitorsWithNothingHeld_RememberedWithinMaxQueueBytes()
    {
        using var harness = NewHarness(o =>
        {
            o.MaxQueueBytes = 64 * 1024;
            o.MaxHeldAnonymousSessions = 1_000_000;
        });

        // Web traffic: each visitor logs in once (an identified request carrying its cookie's id), with nothing held. The
        // store remembers which user each id logged in as, for the window; each such login keeps its two ids, over 100
        // bytes here, so at most about 650 fit in the bound.
        for (var i = 0; i < 5_000; i++)
        {
            using (harness.Client.BeginScope($"visitor-{i:D8}", $"user-{i:D8}"))
            {
            }
        }

        harness.Client.HeldStore!.RememberedLogins.Should().BeInRange(1, 650, "the logins remembered count toward MaxQueueBytes with the held attributes");
        harness.Client.HeldStore.EstimatedBytes.Should().BeLessThanOrEqualTo(64 * 1024);
    }

    [Fact]
    public void Login_BeyondMaxQueueBytes_ForgetsTheLeastRecentlyActiveFirst()
    {
        using var harness = NewHarness(o =>
        {
            o.MaxQueueBytes = 64 * 1024;
            o.MaxHeldAnonymousSessions = 1_000_000;
        });
        using (harness.Client.BeginScope("visitor-a"))
        {
            harness.Client.User.Identify("carol");
        }

        for (var i = 0; i < 5_000; i++)
        {
            // visitor-a stays active: its login is the most recent activity but one each time.
            using (harness.Client.BeginScope("visitor-a"))
            {
            }

            using (harness.Client.BeginScope($"visitor-{i:D8}", $"user-{i:D8}"))
            {
            }
        }

        // carol's browser, still remembered, is not dave's to receive what carol pushed after her login.
        PushInScope(harness, "visitor-a", One("secret", "carol-private"));
        using (harness.Client.BeginScope("visitor-a", "dave"))
        {
        }

        harness.Drain().Should().BeEmpty("dave's login had nothing of its own to carry");
        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
    }

    [Fact]
    public void Login_TakingWhatItsVisitorHeld_MakesNoOtherVisitorMakeRoom()
    {
        const long Bound = 64 * 1024;
        using var harness = NewHarness(o =>
        {
            o.MaxQueueBytes = Bound;
            o.MaxHeldAnonymousSessions = 1_000_000;
        });
        var store = harness.Client.HeldStore!;

        // Visitors holding one small value each fill the bound, then the last one's value grows until the store is within
        // 40 bytes of it: less than the login about to be remembered, far less than the visitor's attributes it takes.
        var count = 0;
        while (harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired] == 0)
        {
            PushInScope(harness, $"v-{count++:D4}", One("a", 1));
        }

        var last = $"v-{count - 1:D4}";
        for (var length = 1; Bound - store.EstimatedBytes > 40 && length < 2_000; length++)
        {
            PushInScope(harness, last, One("pad", new string('x', length)));
        }

        (Bound - store.EstimatedBytes).Should().BeInRange(0, 40);
        var droppedBefore = harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired];
        var heldBefore = store.Count;

        using (harness.Client.BeginScope(last, "u-1"))
        {
        }

        harness.Drain().Should().ContainSingle().Which.UserId.Should().Be("u-1");
        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(droppedBefore, "the login frees more than it takes: no other visitor's attributes had to make room");
        store.Count.Should().Be(heldBefore - 1);
        store.EstimatedBytes.Should().BeLessThanOrEqualTo(Bound);
    }

    [Fact]
    public async Task Shutdown_WithScopedPushesHeld_CountsThemAsDroppedAtShutdown()
    {
        PushInScope(Visitor, One("city", "Pune"));

        await _harness.Client.ShutdownAsync();

        var statistics = _harness.Client.Statistics;
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(1);
        statistics.Pending.Should().Be(0);
        statistics.Enqueued.Should().Be(1);
        _harness.Logs.Warnings.Should().ContainSingle(e => e.EventId.Id == 6003)
            .Which.Message.Should().Contain("1 anonymous Push call(s) of 1 visitor(s)");
    }

    [Fact]
    public async Task Shutdown_WithProcessWidePushesHeldAndNoStorage_LogsThemAsDroppedAtShutdown()
    {
        _harness.Client.User.Push(One("city", "Pune"));
        _harness.Client.User.Push(One("plan", "free"));

        await _harness.Client.ShutdownAsync();

        _harness.Client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(2);
        _harness.Logs.Warnings.Should().ContainSingle(e => e.EventId.Id == 6003)
            .Which.Message.Should().Contain("2 anonymous Push call(s) of 1 visitor(s)").And.NotContain("Pune");
    }

    [Fact]
    public async Task Shutdown_WithScopedAndProcessWidePushesHeld_LogsBothInOneLine()
    {
        _harness.Client.User.Push(One("city", "Pune"));
        _harness.Client.User.Push(One("plan", "free"));
        PushInScope(Visitor, One("city", "Delhi"));

        await _harness.Client.ShutdownAsync();

        _harness.Client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(3);
        _harness.Logs.Warnings.Should().ContainSingle(e => e.EventId.Id == 6003)
            .Which.Message.Should().Contain("3 anonymous Push call(s) of 2 visitor(s)");
    }

    [Fact]
    public async Task Restart_BetweenAnAnonymousPushAndTheLogin_SendsThePushWithTheLogin()
    {
        var big = BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture);
        string anonymousId;
        await using (var first = NewStoredClient())
        {
            first.User.Push(new Dictionary<string, object?>
            {
                ["city"] = "Pune", ["visits"] = 3, ["big"] = big, ["price"] = 1.50m, ["ratio"] = 0.25, ["pro"] = true,
                ["seen"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            });
            first.User.Push(One("city", "Mumbai"));
            anonymousId = first.User.AnonymousId;
        }

        await using var second = NewStoredClient();
        second.Statistics.Pending.Should().Be(2, "the held pushes are pending again after the restart");
        second.User.AnonymousId.Should().Be(anonymousId);

        second.User.Identify("u-1");

        second.Queue.TryRead(out var message).Should().BeTrue();
        (message.UserId, message.Calls).Should().Be(("u-1", 3));
        CallerHarness.ToJson(message).Should().Contain(
            "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"Mumbai\"},{\"name\":\"visits\",\"type\":\"number\",\"value\":3},"
            + "{\"name\":\"big\",\"type\":\"number\",\"value\":123456789012345678901234567890},{\"name\":\"price\",\"type\":\"number\",\"value\":1.50},"
            + "{\"name\":\"ratio\",\"type\":\"number\",\"value\":0.25},{\"name\":\"pro\",\"type\":\"boolean\",\"value\":true},"
            + "{\"name\":\"seen\",\"type\":\"date\",\"value\":\"2026-01-02 03:04:05\"}]");
    }

    [Theory]
    [InlineData(1e-29, "1E-29")]
    [InlineData(1.2345678901234567E-20, "1.2345678901234567E-20")]
    [InlineData(5e-324, "5E-324")]
    public async Task Restart_HeldTinyOrPreciseDouble_IsSentWithAllItsDigits(double value, string expected)
    {
        var unrestarted = CallerHarness.ToJson(new UserMessage(MessageType.Update, 1, CallerHarness.Now, null, "u-1", [new("x", value)]));
        unrestarted.Should().Contain("\"value\":" + expected + "}", "the wire form the value has without a restart");
        await using (var first = NewStoredClient())
        {
            first.User.Push(One("x", value));
        }

        await using var second = NewStoredClient();
        second.User.Identify("u-1");

        second.Queue.TryRead(out var message).Should().BeTrue();
        CallerHarness.ToJson(message).Should().Contain("{\"name\":\"x\",\"type\":\"number\",\"value\":" + expected + "}", "numbers keep all their digits across a restart");
    }

    [Fact]
    public async Task Restart_AfterTheLogin_HasNothingHeld()
    {
        await using (var first = NewStoredClient())
        {
            first.User.Push(One("city", "Pune"));
            first.User.Identify("u-1");
        }

        await using var second = NewStoredClient();

        second.Statistics.Pending.Should().Be(0);
        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().NotContain("held");
    }

    [Fact]
    public async Task Start_WithAFormat1SessionFile_ContinuesItsSession()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, SessionStore.FileName), "{\"version\":1,\"anonymousId\":\"old-visitor\",\"userId\":\"u-9\"}");

        await using var client = NewStoredClient();

        (client.User.AnonymousId, client.User.UserId).Should().Be(("old-visitor", "u-9"));
    }

    [Fact]
    public async Task Start_WithDamagedHeldAttributes_KeepsTheSessionWithoutThem()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(
            Path.Combine(_directory, SessionStore.FileName),
            "{\"version\":2,\"anonymousId\":\"visitor\",\"userId\":null,\"held\":{\"calls\":1,\"attributes\":[{\"name\":\"x\",\"type\":\"blob\",\"value\":1}]}}");

        await using var client = NewStoredClient();

        client.User.AnonymousId.Should().Be("visitor");
        client.Statistics.Pending.Should().Be(0);
    }

    [Fact]
    public void Identify_AnotherUserWithAnIdThatLoggedInSince_DoesNotReceiveWhatWasPushedAfterThatLogin()
    {
        // An app without authentication: carol logs in, pushes in a later request (which starts anonymous, so it is held
        // for the cookie's id), and dave logs in on that browser without carol logging out.
        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("carol", One("name", "Carol"));
        }

        PushInScope(Visitor, One("secret", "carol-private"));
        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("dave", One("name", "Dave"));
        }

        var messages = _harness.Drain();
        messages.Select(m => m.UserId).Should().Equal("carol", "dave");
        Names(messages[1]).Should().Equal(["name"], "what was pushed after carol's login is not dave's");
        messages[1].Calls.Should().Be(1);
        _harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        _harness.Client.Counters.Held.Should().Be(0);
    }

    [Fact]
    public void BeginScope_AnotherSignedInUserWithAnIdThatLoggedInSince_DoesNotReceiveWhatWasPushedAfterThatLogin()
    {
        using (_harness.Client.BeginScope(Visitor, "frank"))
        {
        }

        PushInScope(Visitor, One("secret", "frank-private"));
        using (_harness.Client.BeginScope(Visitor, "gina"))
        {
        }

        _harness.Drain().Should().BeEmpty("frank's login had nothing to carry, and gina does not get what was pushed since");
        _harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
    }

    [Fact]
    public void Identify_TheSameUserAgainWithAnIdThatLoggedInSince_ReceivesWhatWasPushedAfterItsLogin()
    {
        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("erin");
        }

        PushInScope(Visitor, One("city", "Pune"));
        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("erin");
        }

        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.UserId, message.Calls).Should().Be(("erin", 2), "the login and the push it carries");
        Names(message).Should().Equal("city");
        _harness.Client.Statistics.Dropped.Should().Be(0);
    }

    [Fact]
    public void Identify_AnotherUserAfterTheWindowOfTheEarlierLogin_ReceivesWhatWasPushed()
    {
        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("carol");
        }

        // Past the window (30 minutes by default) with no activity of that id: what it pushes now is a new visitor's, for its next login.
        _harness.Time.Advance(TimeSpan.FromMinutes(31));
        PushInScope(Visitor, One("city", "Pune"));
        using (_harness.Client.BeginScope(Visitor))
        {
            _harness.Client.User.Identify("dave");
        }

        var message = _harness.Drain().Should().ContainSingle().Subject;
        message.UserId.Should().Be("dave");
        Names(message).Should().Equal("city");
    }

    private static Dictionary<string, object?> Large(int count, int length = 512)
    {
        var attributes = new Dictionary<string, object?>();
        for (var i = 0; i < count; i++)
        {
            attributes["a" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new string('x', length);
        }

        return attributes;
    }

    private CallerHarness NewHarness(Action<GrowlyticsOptions>? configure = null)
    {
        var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            configure?.Invoke(o);
        });
        harness.Client.MessageDropped += (_, e) => _dropped.Enqueue(e);
        return harness;
    }

    private GrowlyticsClient NewStoredClient() => new(
        new GrowlyticsOptions { ApiKey = "k", Endpoint = new Uri("http://127.0.0.1:9/"), StorageDirectory = _directory, Protocol = GrowlyticsProtocol.Rest },
        startDelivery: false);

    private void PushInScope(string anonymousId, Dictionary<string, object?> attributes) => PushInScope(_harness, anonymousId, attributes);

    private static void PushInScope(CallerHarness harness, string anonymousId, Dictionary<string, object?> attributes)
    {
        using (harness.Client.BeginScope(anonymousId))
        {
            harness.Client.User.Push(attributes);
        }
    }
}
