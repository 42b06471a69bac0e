using System.Text.Json;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>
/// The order of a batch's <c>messages</c> (docs/wire-protocol.md, "Envelope"): each session's, and each
/// <c>Customers.Update</c> customer's, in call order; messages of different sessions are grouped by session, so the array
/// is not "oldest first" across sessions (a customer update and a session's update for the same user included).
/// </summary>
public sealed class BatchMessageOrderTests
{
    [Fact]
    public async Task OneRequest_InterleavedSessionsAndACustomerUpdate_EachKeyInCallOrderGroupedByKey()
    {
        await using var h = new DeliveryHarness();
        h.Push(1, "session-a");
        h.Push(2, "session-b");
        h.Push(3, "session-a");
        h.Client.User.Identify("user-x");
        h.Client.Customers.Update("user-x", new Dictionary<string, object?> { ["n"] = 5L });
        h.Client.User.Push(new Dictionary<string, object?> { ["n"] = 6L });

        await h.FlushAsync();

        h.Requests.Should().ContainSingle("six messages fit one request");
        var messages = h.Requests[0].Messages.ToList();
        messages.Should().HaveCount(6);
        NumbersOf(messages, m => m.GetProperty("anonymousId").ValueKind == JsonValueKind.String && m.GetProperty("anonymousId").GetString() == "session-a")
            .Should().Equal([1, 3], "one session's messages are in call order");

        // Session x's update (call 6) comes before the customer update of the same user (call 5): the messages are
        // grouped by session key, not ordered by call across keys, as the docs now say.
        var sequence = messages.Select(m => m.GetProperty("type").GetString() == "login" ? -1 : DeliveryHarness.NumberOf(m)).ToList();
        sequence.IndexOf(6).Should().BeLessThan(sequence.IndexOf(5), "the batch groups each session's messages together");
        sequence.IndexOf(-1).Should().BeLessThan(sequence.IndexOf(6), "a session's login comes before its later update");
        h.AssertBalanced().Delivered.Should().Be(6);
    }

    private static List<long> NumbersOf(IEnumerable<JsonElement> messages, Func<JsonElement, bool> where) =>
        messages.Where(where).Select(DeliveryHarness.NumberOf).ToList();
}
