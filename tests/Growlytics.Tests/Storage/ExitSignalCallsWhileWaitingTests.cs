#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Runtime.InteropServices;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The facade's handler of a signal that ends the process (.NET 10 and later) waits up to <c>ShutdownTimeout</c> for
/// delivery while the app goes on calling (a signal does not stop it): what those calls queued is written to the folder
/// before the handler returns, as what memory held when it began, instead of ending with the process uncounted.
/// </summary>
public sealed class ExitSignalCallsWhileWaitingTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task ExitSignal_CallsMadeWhileItWaitsForDelivery_AreInTheFolderWhenItReturns()
    {
        // Requests hang (a service that does not answer); the writer's own commit would come only after the handler's bound.
        var collector = new StorageCollector { Up = true, Hang = true };
        var client = NewClient(collector, o =>
        {
            o.StorageCommitInterval = TimeSpan.FromSeconds(10);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        try
        {
            UpdateCustomerNumbers(client, 0, 20);
            var handler = Task.Run(() => Growlytics.FlushOnSignal(client, new PosixSignalContext(PosixSignal.SIGTERM)));
            await DriveUntilAsync(() => collector.Attempts >= 1, TimeSpan.FromMilliseconds(20));

            UpdateCustomerNumbers(client, 20, 10);
            await DriveUntilAsync(() => handler.IsCompleted, Step);
            await handler;

            client.Statistics.Pending.Should().Be(30);
            SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(30, "what the calls made during the wait queued is in the folder before the process ends");
        }
        finally
        {
            collector.Hang = false;
            collector.Up = false;
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }
    }
}
#endif
