using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>A synchronous <see cref="GrowlyticsClient.Dispose"/> whose shutdown ends with a fault throws it as it is.</summary>
public sealed class DisposeFaultTests
{
    [Fact]
    public async Task Dispose_ShutdownEndsWithAFault_ThrowsTheFaultUnwrapped()
    {
        var h = new DeliveryHarness();
        try
        {
            h.PushMany(2);
            h.Client.AfterShutdown = static () => throw new InvalidOperationException("after the shutdown");

            // Caught by hand: FluentAssertions looks inside an AggregateException, and the point is that there is none.
            Exception? thrown = null;
            try
            {
                h.Client.Dispose();
            }
            catch (Exception ex)
            {
                thrown = ex;
            }

            thrown.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("after the shutdown");
            h.Client.Statistics.Delivered.Should().Be(2, "the shutdown itself ran before the fault");
        }
        finally
        {
            // The harness shuts the client down again: the same task, with the same fault.
            await FluentActions.Awaiting(() => h.DisposeAsync().AsTask()).Should().ThrowAsync<InvalidOperationException>();
        }
    }
}
