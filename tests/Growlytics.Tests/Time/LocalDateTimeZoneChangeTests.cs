using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// A local <see cref="DateTime"/> names an instant in the time zone of the moment it is pushed. With REST a push made
/// while anonymous waits for the login (for as long as the process-wide session lives): if the machine's time zone changes
/// meanwhile (the user travelled, or set it), the value sent is still that instant, in UTC, not the same wall time read in
/// the new zone. An unspecified <see cref="DateTime"/> is taken as UTC, whatever the machine's zone.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class LocalDateTimeZoneChangeTests : IDisposable
{
    private readonly string? _tz = Environment.GetEnvironmentVariable("TZ");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("TZ", _tz);
        TimeZoneInfo.ClearCachedData();
    }

    [Fact]
    public void HeldPush_LocalDateTime_TimeZoneChangesBeforeTheLogin_SendsTheInstantOfThePush()
    {
        if (!CanSwitchZones())
        {
            return;
        }

        UseZone("Asia/Kolkata");
        var ordered = new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Local);
        TimeZoneInfo.Local.BaseUtcOffset.Should().Be(TimeSpan.FromHours(5.5), "the test runs in India first");

        using var harness = new CallerHarness(o => o.Protocol = GrowlyticsProtocol.Rest);
        harness.User.Push(new Dictionary<string, object?> { ["lastOrderDate"] = ordered });

        // The user flies to New York and the machine's zone follows before the login.
        UseZone("America/New_York");
        harness.User.Identify("u-1");

        harness.DrainJson().Should().ContainSingle().Which.Should().Contain("\"value\":\"2026-01-01 04:30:00\"",
            "10:00 in India on the day of the push is 04:30 UTC; 15:00 UTC would be 10:00 read in the zone of the login");
    }

    [Fact]
    public void Push_UnspecifiedDateTime_InAZoneAheadOfUtc_IsSentAsThatTimeInUtc()
    {
        if (!CanSwitchZones())
        {
            return;
        }

        UseZone("Asia/Kolkata");
        var date = new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Unspecified);
        using var harness = new CallerHarness();

        // Plain ASCII is written directly, other text by the JSON writer: both take the time as UTC (docs/wire-protocol.md).
        harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["d"] = date })
            .Should().Be("[{\"name\":\"d\",\"type\":\"date\",\"value\":\"2026-01-01 10:00:00\"}]", "read in India it would be 04:30 UTC");
        harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["d"] = date, ["city"] = "Zürich" })
            .Should().Be("[{\"name\":\"d\",\"type\":\"date\",\"value\":\"2026-01-01 10:00:00\"},{\"name\":\"city\",\"type\":\"string\",\"value\":\"Zürich\"}]");
    }

    // The zone is switched through TZ, which only Unix reads, to zones of the system's time zone data (tzdata).
    private static bool CanSwitchZones() =>
        !OperatingSystem.IsWindows()
        && TimeZoneInfo.TryFindSystemTimeZoneById("Asia/Kolkata", out _)
        && TimeZoneInfo.TryFindSystemTimeZoneById("America/New_York", out _);

    private static void UseZone(string zone)
    {
        Environment.SetEnvironmentVariable("TZ", zone);
        TimeZoneInfo.ClearCachedData();
    }
}
