using System.Security.Claims;
using GrowlyticsSdk;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace GrowlyticsSamples.AspNetCore.Controllers;

/// <summary>Login, profile update and logout, each using the Growlytics facade for the current request's user.</summary>
[ApiController]
[Route("account")]
public sealed class AccountController : ControllerBase
{
    public sealed record LoginRequest(string UserId, string Name, string Email, string? Mobile);

    public sealed record ProfileRequest(string? City, string? SubscriptionType, int? TotalPurchaseTillNow);

    [HttpPost("login")]
    public async Task<IActionResult> LoginAsync(LoginRequest request)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, request.UserId)], CookieAuthenticationDefaults.AuthenticationScheme);
        await HttpContext.SignInAsync(new ClaimsPrincipal(identity));

        Growlytics.User.Identify(request.UserId, new UserAttributes
        {
            Name = request.Name,
            Email = request.Email,
            Mobile = request.Mobile,
        });
        return Ok(new { Growlytics.User.UserId, Growlytics.User.AnonymousId });
    }

    [HttpPost("profile")]
    public IActionResult UpdateProfile(ProfileRequest request)
    {
        // Signed in or not, this updates the current request's profile.
        Growlytics.User.Push(new UserAttributes
        {
            ["city"] = request.City,
            ["subscriptionType"] = request.SubscriptionType,
            ["totalPurchaseTillNow"] = request.TotalPurchaseTillNow,
        });
        return Ok(new { Growlytics.User.UserId, Growlytics.User.AnonymousId });
    }

    [HttpPost("logout")]
    public async Task<IActionResult> LogoutAsync()
    {
        Growlytics.User.Logout();
        await HttpContext.SignOutAsync();
        return Ok(new { Growlytics.User.AnonymousId });
    }
}
