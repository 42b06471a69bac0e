using System.Net;
using System.Net.Http.Json;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// REST, no authentication: alice identifies with anonymous id A and logs out (the cookie rotates). A tab or client that did
/// not see the new cookie keeps sending A: what it pushes after alice's login is not another user's, so a later login of
/// bob with A must not carry it (README: held pushes are dropped "when another user logs in with an anonymous id that
/// logged in as someone else since").
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class LoggedOutIdReusedTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PushWithTheLoggedOutIdAfterTheLogout_ThenAnotherUsersLoginWithThatId_DoesNotCarryIt()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var web = await RestTestWebApp.StartAsync(collector.Endpoint);
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = web.Address };
        using var oldTab = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = web.Address };

        var alice = await PostAsync(browser, "/identify?user=alice");
        await PostAsync(browser, "/logout");
        var cookie = $"{RestTestWebApp.AnonymousCookie}={alice.AnonymousId}";

        // alice's tab that did not see the logout's new cookie still pushes under A.
        await SendAsync(oldTab, "/browse?city=alice-home", cookie);

        // bob logs in with A.
        await SendAsync(oldTab, "/identify?user=bob", cookie);
        await web.Client.FlushAsync().WaitAsync(Deadline);

        var bob = collector.Upserts.Should().ContainSingle(u => u.Id == "bob").Subject;
        bob.Attributes.Keys.Should().NotContain("city", "A logged in as alice since; what was pushed under it is not bob's");
    }

    private static async Task SendAsync(HttpClient client, string path, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Cookie", cookie);
        (await client.SendAsync(request)).EnsureSuccessStatusCode();
    }

    private static async Task<RestSessionView> PostAsync(HttpClient browser, string path)
    {
        using var response = await browser.PostAsync(path, null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RestSessionView>())!;
    }
}
