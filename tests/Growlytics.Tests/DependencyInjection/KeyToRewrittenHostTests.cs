using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// With <c>AddGrowlytics</c>, an app's handler in the client's chain that points the request at another host (a rewrite, a
/// redirect it follows itself) does not get the API key sent there: the SDK's key handler, right before the primary
/// handler, adds it only for the endpoint's origin, and the request is refused as a followed redirect, also when the
/// handler puts the original address back after sending.
/// </summary>
public sealed class KeyToRewrittenHostTests
{
    private const string Key = "rewrite-test-key-4711";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AppHandlerRewritingHost_KeyNeverReachesOtherHost(bool restores)
    {
        var primary = new RecordingPrimary();
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
            .AddHttpMessageHandler(() => new RewritingHandler(new Uri("https://other-host.example/events/sdk-batch"), restores));

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

        var sent = string.Join(", ", primary.Seen.Select(s => s.Host + " key=" + (s.Key is null ? "none" : "yes")));
        primary.Seen.Should().NotBeEmpty();
        primary.Seen.Where(s => s.Key is not null).Select(s => s.Host).Should().BeEmpty("the key goes only to the configured endpoint; sent: {0}", sent);
        primary.Seen.Should().HaveCount(1, "a request sent elsewhere is refused as a followed redirect, never tried again (with the key on the request itself or not): {0}", sent);
        statistics.Delivered.Should().Be(0, "even when the handler put the original address back, its answer came from elsewhere");
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
    }

    private sealed class RewritingHandler(Uri target, bool restores) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var original = request.RequestUri;
            request.RequestUri = target;
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
    }

    private sealed class RecordingPrimary : HttpMessageHandler
    {
        public ConcurrentQueue<(string Host, string? Key)> Seen { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Enqueue((request.RequestUri!.Host, request.Headers.TryGetValues("x-growlytics-key", out var v) ? v.Single() : null));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new StringContent("{}") });
        }
    }
}
