using System.Reflection;
using System.Text;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// The delivery loop keeps the buffers its requests' messages were written in, for later requests: what a user sent must
/// not stay in them (as the body buffers and the message pool promise), least of all once the user's local data is deleted.
/// </summary>
public sealed class KeptRequestBuffersAfterDeletionTests
{
    private const string Personal = "Pune-7f3c9e-personal-value";

    [Fact]
    public async Task DeleteLocalDataAsync_AfterDelivery_LeavesNoPersonalValueInTheLoopsKeptRequestBuffers()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.User.Identify("u-7f3c9e-personal", new Dictionary<string, object?> { ["city"] = Personal });
        harness.PushMany(3, text: Personal);
        await harness.FlushAsync();
        harness.Accepted.Should().NotBeEmpty();

        await harness.RunAsync(harness.Client.DeleteLocalDataAsync());
        await harness.FlushAsync();

        var kept = KeptBuffers(harness.Client.Dispatcher);
        kept.Should().NotBeEmpty("a delivered request's buffer is kept for the next request");
        foreach (var buffer in kept)
        {
            var bytes = buffer.WrittenSegment.Array!;
            Contains(bytes, Encoding.UTF8.GetBytes(Personal)).Should().BeFalse("a kept buffer must not hold a value the user sent");
            Contains(bytes, Encoding.UTF8.GetBytes("u-7f3c9e-personal")).Should().BeFalse("a kept buffer must not hold a user id");
        }
    }

    private static List<ByteBufferWriter> KeptBuffers(Dispatcher dispatcher)
    {
        var field = typeof(Dispatcher).GetField("_spareBuffers", BindingFlags.Instance | BindingFlags.NonPublic)!;
        return [.. (Stack<ByteBufferWriter>)field.GetValue(dispatcher)!];
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
