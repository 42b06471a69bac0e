namespace GrowlyticsSdk;

/// <summary>What the queue does with a new message when it already holds <see cref="GrowlyticsOptions.MaxQueueSize"/> messages.</summary>
public enum QueueOverflowPolicy
{
    /// <summary>Drop the new message and count it as <see cref="DropReason.QueueFull"/>. This is the default.</summary>
    DropNewest = 0,

    /// <summary>Drop the oldest queued message to make room and count it as <see cref="DropReason.QueueFull"/>.</summary>
    DropOldest = 1,
}
