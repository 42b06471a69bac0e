using GrowlyticsSdk;

namespace GrowlyticsSamples.Quickstart;

/// <summary>The "Track Users" flow of Growlytics' documentation, in C#.</summary>
public static class QuickstartFlow
{
    /// <summary>The id the flow logs in with.</summary>
    public const string UserId = "THE_USER_ID_IN_YOUR_APP";

    /// <summary>Pushes an attribute as an anonymous visitor, logs the user in with their profile, then logs out.</summary>
    public static void Run()
    {
        // A visitor picks a city before logging in: the anonymous profile gets the attribute.
        Growlytics.User.Push(new { city = "San Francisco" });

        // Log in: the server merges the anonymous profile into the user's.
        Growlytics.User.Identify(UserId, new
        {
            // Reserved attributes (used in campaigns).
            name = "John Wick",
            email = "john@gmail.com",
            mobile = "9876543210",

            // Custom attributes.
            subscriptionType = "pro",
            region = "Mumbai",
            totalPurchaseTillNow = 30000,
        });

        Growlytics.User.Logout();
    }

    /// <summary>
    /// Tells whether a collector received the flow as the REST protocol sends it: one upsert for the user carrying the
    /// anonymous <c>city</c> and the login's attributes (the API has no anonymous profiles and no logout).
    /// </summary>
    /// <param name="customers">The accepted <c>/rest-api/customer</c> bodies in arrival order.</param>
    public static bool WasReceived(IReadOnlyList<System.Text.Json.JsonElement> customers) =>
        customers is [var upsert]
        && upsert.GetProperty("id").GetString() == UserId
        && upsert.GetProperty("attributes").EnumerateArray().Select(a => a.GetProperty("name").GetString()).Order()
            .SequenceEqual(["city", "email", "mobile", "name", "region", "subscriptionType", "totalPurchaseTillNow"]);

    /// <summary>The calls the flow makes that the service settles: REST folds the push into the login's upsert and sends no logout.</summary>
    public static int ExpectedDelivered(GrowlyticsProtocol protocol) => protocol == GrowlyticsProtocol.Rest ? 2 : 3;

    /// <summary>Tells whether a collector received exactly the flow: an anonymous update, the login that merges it, the logout.</summary>
    /// <param name="messages">The messages in arrival order.</param>
    public static bool WasReceived(IReadOnlyList<MessageDto> messages) =>
        messages is [{ Type: "update", UserId: null } update, { Type: "login", UserId: UserId } login, { Type: "logout", UserId: UserId }]
        && login.AnonymousId == update.AnonymousId
        && messages.Select(m => m.MessageId).Distinct().Count() == 3;
}
