using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A batch split after a 413 whose first half is refused for its key (401, 403): the second half is not sent with the
/// refused key; the whole batch is dropped <see cref="DropReason.Unauthorized"/>.
/// </summary>
public sealed class SplitKeyRefusedTests
{
    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task FirstHalfOfASplitRefusesTheKey_SecondHalfIsNotSent(HttpStatusCode refused)
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 4);
        h.Responder = r => Task.FromResult(new HttpResponseMessage(r.MessageIds.Count > 2 ? HttpStatusCode.RequestEntityTooLarge : refused));
        h.PushMany(4);

        await h.FlushAsync();

        h.Requests.Select(r => r.MessageIds.Count).Should().Equal([4, 2], "the key was refused: this batch is dropped, its second half is not sent with the refused key");
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Unauthorized].Should().Be(4);
    }
}
