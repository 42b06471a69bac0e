using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>The facade is process-wide, so these tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WebAppCollection
{
    public const string Name = "WebApp";
}

[Collection(WebAppCollection.Name)]
public sealed class AspNetCoreTests
{
    [Fact]
    public async Task ConcurrentUsers_LoginUpdatesLogout_NoMessageIsMisattributed()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using (var web = await TestWebApp.StartAsync(collector.Endpoint))
        {
            var users = Enumerable.Range(0, 50).Select(i => $"user-{i:D2}").ToArray();
            await Task.WhenAll(users.Select(user => RunBrowserAsync(web.Address, user)));
            await Growlytics.FlushAsync();
        }

        var messages = collector.Messages.ToArray();
        messages.Should().HaveCount(50 * 7);
        messages.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
        foreach (var group in messages.GroupBy(m => m.UserId))
        {
            var user = group.Key!;
            group.Should().HaveCount(7, $"{user} logs in, updates 5 times and logs out");
            group.Count(m => m.Type == "login").Should().Be(1);
            group.Count(m => m.Type == "logout").Should().Be(1);
            group.Where(m => m.Type != "logout").Should().OnlyContain(m => m.Attributes["who"] == user, "no message may carry another user's data");
            group.Select(m => m.AnonymousId).Distinct().Should().ContainSingle("the anonymous id cookie carries the session between requests");
        }

        messages.Select(m => m.AnonymousId).Distinct().Should().HaveCount(50, "every browser has its own anonymous id");
        messages.Where(m => m.Attributes.ContainsKey("via")).Should().HaveCount(50 * 2, "controller actions use the request's scope too");
    }

    [Fact]
    public async Task ConcurrentUsers_WithTheFacadeInitializedBeforeTheHost_UseTheRequestsScopeOnTheHostsClient()
    {
        await using var other = await RecordingCollector.StartAsync();
        await using var collector = await RecordingCollector.StartAsync();
        var initialized = Growlytics.Initialize(RecordingCollector.ApiKey, o =>
        {
            o.Protocol = GrowlyticsProtocol.Batch;
            o.Endpoint = other.Endpoint;
            o.FlushOnProcessExit = false;
        });
        try
        {
            await using (var web = await TestWebApp.StartAsync(collector.Endpoint))
            {
                Growlytics.Client.Should().BeSameAs(initialized, "the facade keeps the client Initialize gave it (event 1011)");
                var users = Enumerable.Range(0, 10).Select(i => $"user-{i:D2}").ToArray();
                await Task.WhenAll(users.Select(user => RunBrowserAsync(web.Address, user)));
                await web.App.Services.GetRequiredService<GrowlyticsClient>().FlushAsync();
            }

            await initialized.FlushAsync();
        }
        finally
        {
            await Growlytics.ShutdownAsync();
        }

        other.Messages.Should().BeEmpty("requests use the host's client, not the process-wide session of the facade's");
        var messages = collector.Messages.ToArray();
        messages.Should().HaveCount(10 * 7);
        foreach (var group in messages.GroupBy(m => m.UserId))
        {
            group.Should().HaveCount(7, $"{group.Key} logs in, updates 5 times and logs out");
            group.Where(m => m.Type != "logout").Should().OnlyContain(m => m.Attributes["who"] == group.Key, "no message may carry another user's data");
        }

        messages.Select(m => m.AnonymousId).Distinct().Should().HaveCount(10, "every browser has its own anonymous id");
    }

    [Fact]
    public async Task Push_AuthenticatedRequestWithoutIdentify_GoesToThePrincipal()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using (var web = await TestWebApp.StartAsync(collector.Endpoint))
        {
            using var browser = NewBrowser(web.Address);
            (await browser.PostAsync("/login?user=alice", null)).EnsureSuccessStatusCode();

            var me = await browser.GetFromJsonAsync<SessionView>("/me");
            me!.UserId.Should().Be("alice", "the middleware starts the scope identified as the principal");

            (await browser.PostAsync("/profile?who=alice&step=1", null)).EnsureSuccessStatusCode();
            await Growlytics.FlushAsync();
        }

        var update = collector.Messages.Should().ContainSingle(m => m.Type == "update").Subject;
        update.UserId.Should().Be("alice");
        collector.Messages.Count(m => m.Type == "login").Should().Be(1, "a request of an already logged-in user does not log in again");
    }

    [Fact]
    public async Task Logout_RotatesTheAnonymousIdCookie()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await TestWebApp.StartAsync(collector.Endpoint);
        using var browser = NewBrowser(web.Address);
        (await browser.PostAsync("/login?user=bob", null)).EnsureSuccessStatusCode();
        var before = (await browser.GetFromJsonAsync<SessionView>("/me"))!;

        (await browser.PostAsync("/logout?who=bob", null)).EnsureSuccessStatusCode();
        var after = (await browser.GetFromJsonAsync<SessionView>("/me"))!;

        after.UserId.Should().BeNull();
        after.AnonymousId.Should().NotBe(before.AnonymousId);
    }

    [Fact]
    public async Task User_OutsideAnyScopeInAWebApp_ThrowsTheDocumentedException()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await TestWebApp.StartAsync(collector.Endpoint);

        var outside = () => Growlytics.User;

        outside.Should().Throw<InvalidOperationException>()
            .WithMessage("*outside a user scope*UseGrowlytics*BeginScope*SessionMode.ProcessWide*");
    }

    [Fact]
    public async Task User_OutsideAnyScopeWithProcessWideMode_IsTheProcessSession()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await TestWebApp.StartAsync(collector.Endpoint, o => o.SessionMode = SessionMode.ProcessWide);

        var first = Growlytics.User;

        first.Should().BeSameAs(Growlytics.User);
    }

    [Fact]
    public async Task HostShutdown_WithMessagesQueued_DeliversThemAllBeforeStopReturns()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var web = await TestWebApp.StartAsync(collector.Endpoint, o => o.FlushInterval = TimeSpan.FromMinutes(10));
        var client = web.App.Services.GetRequiredService<GrowlyticsClient>();
        using (client.BeginScope())
        {
            for (var i = 0; i < 250; i++)
            {
                client.User.Push(new Dictionary<string, object?> { ["i"] = i });
            }
        }

        collector.Messages.Count.Should().BeLessThan(250, "a partial batch waits for the flush interval");

        await web.App.StopAsync();
        await web.App.DisposeAsync();

        collector.Messages.Should().HaveCount(250);
        client.Statistics.Delivered.Should().Be(250);
        Growlytics.IsInitialized.Should().BeFalse("the stopped host's client is detached from the facade");
    }

    [Theory]
    [InlineData(null, "https://api.growlytics.in/", 100, "ApiKey is required")]
    [InlineData("key", "http://example.com/", 100, "must use https")]
    [InlineData("key", "https://api.growlytics.in/", 0, "MaxBatchSize must be between 1 and 10000")]
    public async Task StartAsync_InvalidOptions_FailsWithTheDocumentedMessage(string? apiKey, string endpoint, int batchSize, string expected)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = apiKey;
            o.Endpoint = new Uri(endpoint);
            o.MaxBatchSize = batchSize;
        });
        await using var app = builder.Build();

        var start = () => app.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void AddGrowlytics_BindsTheGrowlyticsConfigurationSection()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "from-config",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:5999/",
            ["Growlytics:MaxBatchSize"] = "42",
            ["Growlytics:FlushInterval"] = "00:00:02",
            ["Growlytics:SessionMode"] = "ProcessWide",
        });
        builder.Services.AddGrowlytics();
        using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.ApiKey.Should().Be("from-config");
        options.Endpoint.Should().Be(new Uri("http://127.0.0.1:5999/"));
        options.MaxBatchSize.Should().Be(42);
        options.FlushInterval.Should().Be(TimeSpan.FromSeconds(2));
        options.SessionMode.Should().Be(SessionMode.ProcessWide);
    }

    private static HttpClient NewBrowser(Uri address) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = address };

    private static async Task RunBrowserAsync(Uri address, string user)
    {
        using var browser = NewBrowser(address);
        (await browser.PostAsync($"/login?user={user}", null)).EnsureSuccessStatusCode();
        for (var step = 0; step < 5; step++)
        {
            var path = step % 2 == 0 ? "/profile" : "/controller/profile";
            (await browser.PostAsync($"{path}?who={user}&step={step}", null)).EnsureSuccessStatusCode();
        }

        (await browser.PostAsync($"/logout?who={user}", null)).EnsureSuccessStatusCode();
    }
}
