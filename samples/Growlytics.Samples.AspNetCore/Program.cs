using Microsoft.AspNetCore.Authentication.Cookies;

var builder = WebApplication.CreateBuilder(args);

// Options come from the "Growlytics" section of appsettings.json (ApiKey, Endpoint, ...).
builder.Services.AddGrowlytics();
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
builder.Services.AddControllers();

var app = builder.Build();
app.UseAuthentication();

// One Growlytics user per request: the anonymous id rides in a cookie, the user id comes from the signed-in principal.
app.UseGrowlytics(o => o.AnonymousIdCookieName = "growlytics_anon");
app.MapControllers();
app.Run();
