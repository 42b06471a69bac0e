using GrowlyticsSdk.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// A wall clock nearer than <see cref="GrowlyticsOptions.MaxStorageAge"/> to the first representable instant (a machine
/// whose clock was never set): stored messages are not expired, and they are delivered.
/// </summary>
public sealed class EarlyClockStorageTests : StorageTestBase
{
    [Fact]
    public async Task Flush_ClockInTheFirstDaysOfYearOne_DeliversWhatWasStored()
    {
        var early = new FakeTimeProvider(new DateTimeOffset(1, 1, 2, 23, 0, 0, TimeSpan.Zero));
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o => o.TimeProvider = early);
        PushNumbers(client, 0, 3);

        var flush = client.FlushAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(flush.IsCompleted && client.Statistics.Delivered == 3) && DateTime.UtcNow < deadline)
        {
            early.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(5);
        }

        client.Statistics.Delivered.Should().Be(3, "nothing stored is older than MaxStorageAge: {0}", string.Join(", ", client.Statistics.DroppedByReason.Where(r => r.Value > 0)));
        collector.Numbers.Should().BeEquivalentTo([0L, 1L, 2L]);
        ShouldBeBalanced(client.Statistics);
    }
}
