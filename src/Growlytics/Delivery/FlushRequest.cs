namespace GrowlyticsSdk.Delivery;

/// <summary>A waiting <c>FlushAsync</c>: done once the first <see cref="Target"/> messages read from the queue are settled.</summary>
internal sealed class FlushRequest
{
    public FlushRequest(long target) => Target = target;

    public long Target { get; }

    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
