using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// With <c>AddGrowlytics</c>, an app's handler in the client's chain that follows a redirect itself, sending the same request
/// object again to the <c>Location</c> (as .NET's own redirect handler does), must not send the API key there: the key
/// handler put it on the request for the endpoint, and the second pass goes to another origin (docs/security.md: "an app
/// handler in that chain that points it elsewhere (... a redirect it follows itself) sends it there without the key").
/// </summary>
public sealed class KeyToRedirectFollowedByAppHandlerTests
{
    private const string Key = "redirect-follow-key-0815";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AppHandlerFollowingARedirectWithTheSameRequest_KeyNeverReachesTheRedirectTarget(bool restores)
    {
        var primary = new RedirectingPrimary(new Uri("https://other-host.example/landing"));
        var services = new ServiceCollection();
        services.AddGrowlytics(o =>
            {
                o.ApiKey = Key;
                o.Endpoint = new Uri("https://collector.example/");
                o.Protocol = GrowlyticsProtocol.Batch;
                o.FlushInterval = TimeSpan.FromMilliseconds(20);
                o.MaxRetryAttempts = 0;
            })
            .ConfigurePrimaryHttpMessageHandler(() => primary)
            .AddHttpMessageHandler(() => new FollowingHandler(restores));

        GrowlyticsStatistics statistics;
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<GrowlyticsClient>();
            using (client.BeginScope())
            {
                client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
            }

            await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
            statistics = client.Statistics;
        }

        var sent = string.Join(", ", primary.Seen.Select(s => s.Host + " key=" + (s.Key ?? "none")));
        primary.Seen.Should().Contain(s => s.Host == "collector.example" && s.Key == Key, "the endpoint gets the key: {0}", sent);
        primary.Seen.Where(s => s.Host != "collector.example" && s.Key is not null).Should().BeEmpty("the key goes only to the configured endpoint's origin; sent: {0}", sent);
        statistics.Delivered.Should().Be(0, "a followed redirect is refused, also when the handler put the original address back");
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
    }

    // Follows one redirect by sending the same request to its Location (a handler of the app's, as .NET's RedirectHandler does),
    // and, when told to, puts the original address back once it has sent it.
    private sealed class FollowingHandler(bool restores) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                var original = request.RequestUri;
                request.RequestUri = location;
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                finally
                {
                    if (restores)
                    {
                        request.RequestUri = original;
                    }
                }
            }

            return response;
        }
    }

    private sealed class RedirectingPrimary(Uri location) : HttpMessageHandler
    {
        public ConcurrentQueue<(string Host, string? Key)> Seen { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var host = request.RequestUri!.Host;
            Seen.Enqueue((host, request.Headers.TryGetValues("x-growlytics-key", out var v) ? string.Join(",", v) : null));
            var response = host == location.Host
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") }
                : new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = location } };
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }
}
