namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With <see cref="GrowlyticsProtocol.Batch"/> and <see cref="GrowlyticsOptions.StorageDirectory"/>, a message is written
/// to the folder, read from there and waits up to <see cref="GrowlyticsOptions.FlushInterval"/> for its batch; the age
/// limit (<see cref="GrowlyticsOptions.MaxStorageAge"/>) drops it once it is that old. Both values were accepted in their
/// ranges whatever their relation: with a 10-minute flush interval and a 1-minute age limit, a healthy service received
/// nothing and every message of a quiet app was dropped as <see cref="DropReason.Expired"/> a minute after its call.
/// </summary>
public sealed class FlushIntervalPastStorageAgeTests : StorageTestBase
{
    [Theory]
    [InlineData(600, 200)] // ten minutes
    [InlineData(60, 200)] // as long as the age limit
    [InlineData(55, 5_000)] // shorter, but not once the commit interval is added
    public void Constructor_BatchWithStorage_FlushIntervalNotShorterThanTheAgeLimit_IsRefusedNamingTheOptions(int flushSeconds, int commitMs)
    {
        var act = () => NewClient(new StorageCollector { Up = true }, o =>
        {
            o.FlushInterval = TimeSpan.FromSeconds(flushSeconds);
            o.StorageCommitInterval = TimeSpan.FromMilliseconds(commitMs);
            o.MaxStorageAge = TimeSpan.FromMinutes(1);
        });

        act.Should().Throw<ArgumentException>()
            .WithMessage("*FlushInterval*MaxStorageAge*Expired*");
        System.IO.Directory.Exists(Directory).Should().BeFalse("a client refused at construction starts nothing, nor makes its folder");
    }

    [Fact]
    public async Task BatchWithStorage_FlushIntervalWithinTheAgeLimit_DeliversEveryMessage()
    {
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o =>
        {
            o.FlushInterval = TimeSpan.FromSeconds(50);
            o.MaxStorageAge = TimeSpan.FromMinutes(1);
        });

        // Small steps, and the clock stops 2 s short of the age limit: a busy machine that is slow (in real time) to read
        // the messages or to send them once the flush interval has passed must not let the fake clock run past the limit.
        var pushedAt = Time.GetUtcNow();
        PushNumbers(client, 0, 3);
        await DriveUntilAsync(
            () => client.Statistics.Pending == 0,
            TimeSpan.FromMilliseconds(100),
            () => $"pending {client.Statistics.Pending}, dropped {client.Statistics.Dropped}",
            () => Time.GetUtcNow() - pushedAt < TimeSpan.FromSeconds(58));

        client.Statistics.Delivered.Should().Be(3);
        client.Statistics.Dropped.Should().Be(0);
        collector.Numbers.Should().BeEquivalentTo(new long[] { 0, 1, 2 });
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, true)] // REST sends at once: FlushInterval is not used
    [InlineData(GrowlyticsProtocol.Batch, false)] // nothing is stored
    public void Constructor_FlushIntervalPastTheAgeLimit_WithoutBatchAndStorage_IsAccepted(GrowlyticsProtocol protocol, bool storage)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Protocol = protocol,
            StorageDirectory = storage ? Directory : null,
            FlushInterval = TimeSpan.FromMinutes(10),
            MaxStorageAge = TimeSpan.FromMinutes(1),
        };

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().BeEmpty();
    }
}
