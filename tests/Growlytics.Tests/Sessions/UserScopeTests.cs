using System.Collections.Concurrent;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>Which session <c>User</c> means: the innermost scope of the current async flow, else the process-wide one.</summary>
public sealed class UserScopeTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void BeginScope_GivesTheFlowItsOwnSessionAndDisposeRestoresTheProcessWideOne()
    {
        var client = _harness.Client;
        var processWide = client.User;
        processWide.Identify("desktop-user");

        using (client.BeginScope())
        {
            client.User.Should().NotBeSameAs(processWide);
            client.User.IsIdentified.Should().BeFalse();
            client.User.AnonymousId.Should().NotBe(processWide.AnonymousId);
            client.User.Identify("request-user");
        }

        client.User.Should().BeSameAs(processWide);
        processWide.UserId.Should().Be("desktop-user", "the scope's identify did not touch the process-wide session");
        _harness.Drain().Select(m => m.UserId).Should().Equal("desktop-user", "request-user");
        _harness.Logs.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void NestedScopes_DisposedInOrder_RestoreTheOuterSessionEachTime()
    {
        var client = _harness.Client;
        var processWide = client.User;

        var outer = client.BeginScope();
        var outerUser = client.User;
        outerUser.Identify("outer");
        var inner = client.BeginScope();
        var innerUser = client.User;
        innerUser.Identify("inner");

        innerUser.Should().NotBeSameAs(outerUser);
        inner.Dispose();
        client.User.Should().BeSameAs(outerUser);
        client.User.UserId.Should().Be("outer");
        inner.Dispose();
        client.User.Should().BeSameAs(outerUser, "disposing twice changes nothing");
        outer.Dispose();
        client.User.Should().BeSameAs(processWide);
    }

    [Fact]
    public void NestedScopes_DisposedOutOfOrder_TheInnerStaysUntilDisposedThenTheProcessWideSessionIsBack()
    {
        var client = _harness.Client;
        var processWide = client.User;
        var outer = client.BeginScope();
        client.User.Identify("outer");
        var inner = client.BeginScope();
        var innerUser = client.User;

        outer.Dispose();
        client.User.Should().BeSameAs(innerUser, "the innermost scope is still open");
        inner.Dispose();

        client.User.Should().BeSameAs(processWide, "the outer scope was disposed already: nothing is left open");
    }

    [Fact]
    public void ThreeScopes_TheMiddleDisposedFirst_DisposingTheInnerRestoresTheOuter()
    {
        var client = _harness.Client;
        using var outer = client.BeginScope();
        var outerUser = client.User;
        var middle = client.BeginScope();
        var inner = client.BeginScope();

        middle.Dispose();
        inner.Dispose();

        client.User.Should().BeSameAs(outerUser);
    }

    [Fact]
    public void ThreeScopes_TheOuterTwoDisposedFirst_DisposingTheInnerRestoresTheProcessWideSession()
    {
        var client = _harness.Client;
        var processWide = client.User;
        var outer = client.BeginScope();
        client.User.Identify("outer");
        var middle = client.BeginScope();
        client.User.Identify("middle");
        var inner = client.BeginScope();

        outer.Dispose();
        middle.Dispose();
        inner.Dispose();

        client.User.Should().BeSameAs(processWide, "every enclosing scope was disposed already, not only the nearest");
        client.User.UserId.Should().BeNull();
    }

    [Fact]
    public async Task Scope_WithAwaitsInside_FollowsTheAsyncFlow()
    {
        var client = _harness.Client;
        using (client.BeginScope())
        {
            var user = client.User;
            await Task.Yield();
            client.User.Should().BeSameAs(user);
            await Task.Delay(1);
            client.User.Should().BeSameAs(user);
        }

        client.User.IsIdentified.Should().BeFalse();
    }

    [Fact]
    public async Task WorkStartedInsideAScope_KeepsThatScopeAfterTheParentDisposesIt()
    {
        var client = _harness.Client;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        GrowlyticsUser scoped;
        Task<GrowlyticsUser> child;
        using (client.BeginScope())
        {
            scoped = client.User;
            child = Task.Run(async () =>
            {
                await release.Task;
                return client.User;
            });
        }

        release.SetResult();

        (await child).Should().BeSameAs(scoped);
        client.User.Should().NotBeSameAs(scoped);
    }

    [Fact]
    public void BeginScope_WithKnownAnonymousAndUserId_ContinuesThatSessionWithoutAMessage()
    {
        var client = _harness.Client;

        using (client.BeginScope("cookie-anon_1", "u-9"))
        {
            _harness.Drain().Should().BeEmpty();
            client.User.Push(new { city = "Pune" });
        }

        _harness.Drain().Should().ContainSingle().Which.Should().Match<UserMessage>(
            m => m.Type == MessageType.Update && m.UserId == "u-9" && m.AnonymousId == "cookie-anon_1");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/")]
    [InlineData("plus+")]
    public void BeginScope_WithUnsafeAnonymousId_Throws(string anonymousId)
    {
        var act = () => _harness.Client.BeginScope(anonymousId);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("anonymousId");
    }

    [Fact]
    public void BeginScope_WithAnonymousIdOf65Characters_Throws()
    {
        _harness.Client.Invoking(c => c.BeginScope(new string('a', 65))).Should().Throw<ArgumentException>();
        _harness.Client.Invoking(c => c.BeginScope(new string('a', 64))).Should().NotThrow();
    }

    [Fact]
    public void RequireScope_UserOutsideAScope_ThrowsSayingHowToOpenOne()
    {
        using var harness = new CallerHarness(o => o.SessionMode = SessionMode.RequireScope);

        var act = () => harness.Client.User;

        act.Should().Throw<InvalidOperationException>().WithMessage("*BeginScope*").And.Message.Should().Contain("UseGrowlytics");
        using (harness.Client.BeginScope())
        {
            harness.Client.User.Push(new { city = "Pune" });
        }

        act.Should().Throw<InvalidOperationException>();
        harness.Drain().Should().ContainSingle();
    }

    [Fact]
    public async Task HundredConcurrentScopes_IdentifyingDifferentUsers_NeverSeeEachOther()
    {
        const int Flows = 100;
        var client = _harness.Client;
        var processWide = client.User;
        var allScopesOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var opened = 0;
        var seen = new ConcurrentDictionary<int, (string Before, string After)>();

        var flows = Enumerable.Range(0, Flows).Select(i => Task.Run(async () =>
        {
            using var scope = client.BeginScope();
            if (Interlocked.Increment(ref opened) == Flows)
            {
                allScopesOpen.SetResult();
            }

            // Every flow has its scope open before any flow identifies, so all hundred overlap.
            await allScopesOpen.Task;
            var before = client.User.AnonymousId;
            client.User.Push(new { flow = i, step = 0 });
            await Task.Yield();
            client.User.Identify("user-" + i, new { flow = i, step = 1 });
            await Task.Delay(1);
            client.User.Push(new { flow = i, step = 2 });
            await Task.Yield();
            client.User.UserId.Should().Be("user-" + i);
            client.User.Logout();
            await Task.Delay(1);
            client.User.Push(new { flow = i, step = 3 });
            seen[i] = (before, client.User.AnonymousId);
        })).ToArray();
        await Task.WhenAll(flows);

        var messages = _harness.Drain();
        messages.Should().HaveCount(Flows * 5);
        seen.Select(s => s.Value.Before).Concat(seen.Select(s => s.Value.After)).Should().OnlyHaveUniqueItems();
        foreach (var message in messages)
        {
            if (message.Type == MessageType.Logout)
            {
                var flow = int.Parse(message.UserId!["user-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                message.AnonymousId.Should().Be(seen[flow].Before);
                continue;
            }

            var i = (int)message.Attributes.Single(a => a.Name == "flow").Value;
            var step = (int)message.Attributes.Single(a => a.Name == "step").Value;
            var (expectedUser, expectedAnonymous) = step switch
            {
                0 => ((string?)null, seen[i].Before),
                1 or 2 => ("user-" + i, seen[i].Before),
                _ => (null, seen[i].After),
            };
            message.UserId.Should().Be(expectedUser, "flow {0} step {1}", i, step);
            message.AnonymousId.Should().Be(expectedAnonymous, "flow {0} step {1}", i, step);
        }

        processWide.IsIdentified.Should().BeFalse();
        client.User.Should().BeSameAs(processWide);
        _harness.Logs.Warnings.Should().BeEmpty("no flow ever saw another flow's user");
    }
}
