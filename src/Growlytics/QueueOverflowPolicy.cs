namespace GrowlyticsSdk;

/// <summary>What the queue does with a new message when it is full (<see cref="GrowlyticsOptions.MaxQueueSize"/> messages, or <see cref="GrowlyticsOptions.MaxQueueBytes"/>).</summary>
public enum QueueOverflowPolicy
{
    /// <summary>Drop the new message and count it as <see cref="DropReason.QueueFull"/>. This is the default.</summary>
    DropNewest = 0,

    /// <summary>
    /// Drop the oldest queued message that delivery has not taken yet to make room, and count it as
    /// <see cref="DropReason.QueueFull"/>. Without <see cref="GrowlyticsOptions.StorageDirectory"/>, delivery then holds
    /// (staged, in flight) about a quarter of the queue's bounds at most (of <see cref="GrowlyticsOptions.MaxQueueSize"/>,
    /// and of <see cref="GrowlyticsOptions.MaxQueueBytes"/> at the queue's average message size), so the newest call is
    /// not the one dropped; a small queue sends smaller requests. When dropping every message delivery has not taken yet
    /// would still not make room (a large message, while what delivery holds leaves too little of a bound), only the new
    /// message is dropped. An update queued by <see cref="GrowlyticsCustomers.UpdateAsync(string, System.Collections.Generic.IReadOnlyDictionary{string, object}, System.Threading.CancellationToken)"/>
    /// is never dropped to make room: while it is the oldest, the new message is dropped instead.
    /// </summary>
    DropOldest = 1,
}
