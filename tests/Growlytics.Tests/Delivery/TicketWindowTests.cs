using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class TicketWindowTests
{
    [Fact]
    public void Settle_OutOfOrder_FloorWaitsForTheOldest()
    {
        var window = new TicketWindow();
        var tickets = Enumerable.Range(0, 5).Select(_ => window.Issue()).ToArray();

        window.Settle(tickets[3]);
        window.Settle(tickets[1]);
        window.Floor.Should().Be(0);
        window.Settle(tickets[0]);
        window.Floor.Should().Be(2, "0 and 1 are settled, 2 is not");
        window.Settle(tickets[2]);
        window.Floor.Should().Be(4);
        window.Settle(tickets[4]);
        window.Floor.Should().Be(5);
    }

    [Fact]
    public void Issue_FarBeyondTheInitialWindow_KeepsWhatWasSettled()
    {
        var window = new TicketWindow();
        var first = window.Issue();
        var rest = Enumerable.Range(0, 100_000).Select(_ => window.Issue()).ToList();
        foreach (var ticket in rest)
        {
            window.Settle(ticket);
        }

        window.Floor.Should().Be(0, "the first is still in flight");
        window.Settle(first);
        window.Floor.Should().Be(100_001);
    }

    [Fact]
    public void Settle_TheOldestAfterAWideSpan_LetsGoOfTheRoomAndKeepsWhatIsUnsettled()
    {
        var window = new TicketWindow();
        var initial = window.Capacity;
        var first = window.Issue();
        var rest = Enumerable.Range(0, 100_000).Select(_ => window.Issue()).ToList();

        // All but the first and three late ones settle: the window spans all of them.
        var late = new[] { rest[99_990], rest[99_995], rest[99_999] };
        foreach (var ticket in rest.Except(late))
        {
            window.Settle(ticket);
        }

        window.Capacity.Should().BeGreaterThan(100_000);
        window.Settle(first);
        window.Floor.Should().Be(late[0]);
        window.Capacity.Should().Be(initial, "ten tickets from the floor fit in the first room");

        // The unsettled ones are still unsettled, the settled ones between them still settled.
        window.Settle(late[1]);
        window.Floor.Should().Be(late[0]);
        window.Settle(late[0]);
        window.Floor.Should().Be(late[2]);
        window.Settle(late[2]);
        window.Floor.Should().Be(window.Next);
    }

    [Fact]
    public void Settle_Twice_Harmless()
    {
        var window = new TicketWindow();
        var a = window.Issue();
        window.Settle(a);
        window.Settle(a);
        window.Floor.Should().Be(1);

        // The second settle left no mark: the ticket that later takes a's place in the window (one full window on) is
        // not taken for settled.
        var wrap = Enumerable.Range(0, 4096).Select(_ => window.Issue()).ToArray();
        wrap[^1].Should().Be(a + 4096);
        foreach (var ticket in wrap[..^1])
        {
            window.Settle(ticket);
        }

        window.Floor.Should().Be(a + 4096, "the ticket in a's slot is still in flight");
        window.Settle(wrap[^1]);
        window.Floor.Should().Be(a + 4097);
    }
}
