using System.Net;
using GrowlyticsSdk.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// The Testing package's recipe for a test of an ASP.NET Core app (its readme and the README's "Testing your code"): the
/// test's own <c>Configure&lt;GrowlyticsOptions&gt;</c>, registered after the app's <c>AddGrowlytics</c> as
/// <c>ConfigureTestServices</c> registers it, gives the host's client the recorder's <c>HttpClient</c> and a key where the
/// configuration has none; the host then starts, the requests <c>UseGrowlytics</c> scopes are recorded (with REST, the
/// anonymous push carried by the cookie to the login), and flushing the host's client makes them visible.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class RecorderInAHostTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task HostsClientGivenTheRecorderAfterAddGrowlytics_WithoutAKeyInConfiguration_RecordsTheRequests()
    {
        using var recorder = new GrowlyticsRecorder();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(); // the app's registration: the "Growlytics" section, which here holds no key
        builder.Services.Configure<GrowlyticsOptions>(o =>
        {
            // The test's, as the readme writes it in ConfigureTestServices.
            o.HttpClient = recorder.HttpClient;
            o.ApiKey ??= GrowlyticsRecorder.TestApiKey;
        });
        await using var app = builder.Build();
        app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");
        app.MapPost("/profile", () => Growlytics.User.Push(new { city = "Pune" }));
        app.MapPost("/login", () => Growlytics.User.Identify("alice", new { plan = "pro" }));
        await app.StartAsync().WaitAsync(Deadline);
        using var browser = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(app.Urls.First()) };

        (await browser.PostAsync(new Uri("/profile", UriKind.Relative), content: null)).EnsureSuccessStatusCode();
        (await browser.PostAsync(new Uri("/login", UriKind.Relative), content: null)).EnsureSuccessStatusCode();
        await app.Services.GetRequiredService<GrowlyticsClient>().FlushAsync().WaitAsync(Deadline);

        var upsert = recorder.Calls.Should().ContainSingle().Subject;
        upsert.Type.Should().Be(RecordedCallType.CustomerUpsert);
        recorder.GetUserAttributes("alice").Should().Equal(new Dictionary<string, string> { ["city"] = "Pune", ["plan"] = "pro" });
        await app.StopAsync().WaitAsync(Deadline);
    }
}
