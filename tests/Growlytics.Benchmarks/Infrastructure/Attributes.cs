using GrowlyticsSdk;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>The attribute sets the benchmarks send: 3 attributes (as in the quickstart) and 20 (a rich profile).</summary>
internal static class Attributes
{
    private static readonly DateTime SignedUp = new(2025, 3, 14, 9, 26, 53, DateTimeKind.Utc);

    public static Dictionary<string, object?> Dictionary(int count)
    {
        var all = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["city"] = "San Francisco",
            ["subscriptionType"] = "pro",
            ["totalPurchaseTillNow"] = 30000,
        };
        if (count == 3)
        {
            return all;
        }

        all["name"] = "John Wick";
        all["email"] = "john@gmail.com";
        all["mobile"] = "+91 98765 43210";
        all["region"] = "Mumbai";
        all["plan"] = "annual";
        all["seats"] = 12;
        all["active"] = true;
        all["score"] = 4.75;
        all["signedUp"] = SignedUp;
        all["referrer"] = "newsletter";
        all["language"] = "en-IN";
        all["visits"] = 1234L;
        all["trial"] = false;
        all["company"] = "Continental";
        all["role"] = "admin";
        all["balance"] = 1999.99m;
        all["theme"] = "dark";
        return all;
    }

    public static UserAttributes Typed(int count)
    {
        var typed = new UserAttributes();
        foreach (var pair in Dictionary(count))
        {
            typed[pair.Key] = pair.Value;
        }

        return typed;
    }

    // Written out as a caller would, so the anonymous-object overload sees the same names and values.
    public static object Anonymous3() => new { city = "San Francisco", subscriptionType = "pro", totalPurchaseTillNow = 30000 };

    public static object Anonymous20() => new
    {
        city = "San Francisco",
        subscriptionType = "pro",
        totalPurchaseTillNow = 30000,
        name = "John Wick",
        email = "john@gmail.com",
        mobile = "+91 98765 43210",
        region = "Mumbai",
        plan = "annual",
        seats = 12,
        active = true,
        score = 4.75,
        signedUp = SignedUp,
        referrer = "newsletter",
        language = "en-IN",
        visits = 1234L,
        trial = false,
        company = "Continental",
        role = "admin",
        balance = 1999.99m,
        theme = "dark",
    };
}
