using System.Text;
using GrowlyticsSdk.Protocols.Rest;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>The call → request table of docs/wire-protocol.md ("Rest"), row by row, down to the request bodies.</summary>
public sealed class RestMappingTests : IDisposable
{
    private readonly CallerHarness _harness = new(o => o.Protocol = GrowlyticsProtocol.Rest);
    private readonly RestProtocol _protocol = new(new GrowlyticsOptions());

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void PushAnonymous_NoRequestYet()
    {
        _harness.User.Push(One("city", "San Francisco"));

        Bodies().Should().BeEmpty();
    }

    [Fact]
    public void Identify_OneUpsertWithTheLoginsAttributesAndWhatTheSessionPushedWhileAnonymous()
    {
        _harness.User.Push(One("city", "San Francisco"));

        _harness.User.Identify("THE_USER_ID_IN_YOUR_APP", new { name = "John Wick", totalPurchaseTillNow = 30000 });

        Bodies().Should().Equal(
            "{\"id\":\"THE_USER_ID_IN_YOUR_APP\",\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"},"
            + "{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":30000}]}");
    }

    [Fact]
    public void PushIdentified_OneUpsertForThatId()
    {
        _harness.User.Identify("u-1");

        _harness.User.Push(new { lastOrderDate = new DateTime(2026, 11, 28, 15, 17, 7, DateTimeKind.Utc), isFirstTimePurchaser = true });

        Bodies().Should().Equal(
            "{\"id\":\"u-1\",\"attributes\":[{\"name\":\"lastOrderDate\",\"type\":\"date\",\"value\":\"2026-11-28 15:17:07\"},"
            + "{\"name\":\"isFirstTimePurchaser\",\"type\":\"boolean\",\"value\":true}]}");
    }

    [Fact]
    public void Logout_NoRequest()
    {
        _harness.User.Identify("u-1");

        _harness.User.Logout();

        Bodies().Should().BeEmpty();
    }

    [Fact]
    public void CustomersUpdate_OneUpsert()
    {
        _harness.Client.Customers.Update("c-42", new { plan = "pro" });

        Bodies().Should().Equal("{\"id\":\"c-42\",\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"}]}");
    }

    private List<string> Bodies() =>
        _harness.Drain().Select(m => Encoding.UTF8.GetString(_protocol.Serialize(m, new ByteBufferWriter(64)))).ToList();
}
