using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// With both a cookie and a header configured, the anonymous id comes from the cookie, or from the header when the cookie
/// carries no usable id (empty, tampered, too long): an API client that keeps its id in the header keeps its session
/// whatever cookie it also sends.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class AnonymousIdSourceTests
{
    private const string CookieName = "gl_anon";
    private const string HeaderName = "X-Growlytics-Anonymous-Id";
    private const string HeaderId = "HHHHHHHHHHHHHHHHHHHHHH";
    private const string CookieId = "CCCCCCCCCCCCCCCCCCCCCC";

    [Theory]
    [InlineData("")]
    [InlineData("not an id!")]
    [InlineData("tampered!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task CookieWithoutAUsableId_TheHeadersIdIsUsed(string cookieValue)
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(app.Urls.First()) };

        (await IdAsync(http, cookieValue, HeaderId)).Should().Be(HeaderId);
    }

    [Fact]
    public async Task CookieWithAUsableId_WinsOverTheHeader()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(app.Urls.First()) };

        (await IdAsync(http, CookieId, HeaderId)).Should().Be(CookieId);
    }

    private static async Task<string> IdAsync(HttpClient http, string cookieValue, string headerValue)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/id");
        request.Headers.TryAddWithoutValidation("Cookie", CookieName + "=" + cookieValue);
        request.Headers.Add(HeaderName, headerValue);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<WebApplication> StartAsync(Uri collector)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector;
        });

        var app = builder.Build();
        app.UseGrowlytics(o =>
        {
            o.AnonymousIdCookieName = CookieName;
            o.AnonymousIdHeaderName = HeaderName;
        });
        app.MapGet("/id", () => Growlytics.User.AnonymousId);
        await app.StartAsync();
        return app;
    }
}
