using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>One user with many messages whose requests are retried does not hold back other users' messages.</summary>
[Collection(EngineCollection.Name)]
public sealed class PartitionIsolationTests
{
    [Fact]
    public async Task Send_OneCustomerWithThousandsOfUpdatesRetried_AnotherCustomersUpdateIsNotHeldBehindThem()
    {
        // Every first attempt for the heavy customer is answered 503 and its retry 200: half its attempts fail, so the
        // circuit stays closed, and each of its updates waits out one backoff. The light customer is always accepted.
        await using var collector = await CustomerCollector.StartAsync(id => id == "heavy");
        var options = new GrowlyticsOptions
        {
            ApiKey = "rest-key",
            Endpoint = collector.Endpoint,
            FlushOnProcessExit = false,
            SessionMode = SessionMode.RequireScope,
        };
        await using var client = new GrowlyticsClient(options);
        for (var i = 0; i < 6_000; i++)
        {
            client.Customers.Update("heavy", Number(i));
        }

        var clock = Stopwatch.StartNew();
        client.Customers.Update("light", Number(0));
        await EventuallyAsync(() => collector.Accepted("light") == 1 || clock.Elapsed > TimeSpan.FromSeconds(15), "the light customer's update arrived or 15 s passed");

        collector.Accepted("light").Should().Be(1, "a customer's update waits only for its own earlier updates, not behind another customer's retries");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
        collector.Accepted("heavy").Should().BeLessThan(6_000, "the heavy customer is still being retried: the light update did not wait for all of it");
        await client.ShutdownAsync(new CancellationToken(canceled: true));
    }

    /// <summary>Growlytics' <c>/rest-api/customer</c> on Kestrel at 127.0.0.1, failing every other attempt for chosen customers.</summary>
    private sealed class CustomerCollector : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, int> _accepted = new();
        private readonly ConcurrentDictionary<string, int> _attempts = new();
        private readonly Func<string, bool> _flaky;
        private WebApplication? _app;

        private CustomerCollector(Func<string, bool> flaky) => _flaky = flaky;

        public Uri Endpoint { get; private set; } = null!;

        public int Accepted(string id) => _accepted.TryGetValue(id, out var count) ? count : 0;

        public static async Task<CustomerCollector> StartAsync(Func<string, bool> flaky)
        {
            var collector = new CustomerCollector(flaky);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapPost("/rest-api/customer", (RequestDelegate)collector.ReceiveAsync);
            await app.StartAsync();
            collector._app = app;
            collector.Endpoint = new Uri(app.Urls.First().TrimEnd('/') + "/");
            return collector;
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is { } app)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        private async Task ReceiveAsync(HttpContext context)
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var id = body.RootElement.GetProperty("id").GetString()!;
            if (_flaky(id) && _attempts.AddOrUpdate(id, 1, (_, n) => n + 1) % 2 == 1)
            {
                context.Response.StatusCode = 503;
                return;
            }

            _accepted.AddOrUpdate(id, 1, (_, n) => n + 1);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"success\":true}");
        }
    }
}
