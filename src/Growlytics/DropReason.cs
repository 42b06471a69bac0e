namespace GrowlyticsSdk;

/// <summary>Why an accepted message was not delivered.</summary>
public enum DropReason
{
    /// <summary>The queue was full (see <see cref="GrowlyticsOptions.QueueOverflowPolicy"/>).</summary>
    QueueFull = 0,

    /// <summary>Retries or the per-batch retry budget ran out while the service kept failing.</summary>
    RetriesExhausted = 1,

    /// <summary>The service refused the batch with a 4xx status other than 401, 403, 408, 413 or 429.</summary>
    Rejected = 2,

    /// <summary>The message alone was larger than the service accepts (413 on a single message).</summary>
    TooLarge = 3,

    /// <summary>The service refused the API key (401 or 403); sending stopped.</summary>
    Unauthorized = 4,

    /// <summary>Still queued when shutdown ran out of time, or recorded after the client was shut down.</summary>
    Shutdown = 5,

    /// <summary>An unexpected error inside the SDK (logged) kept the message from being serialized or sent.</summary>
    InternalError = 6,
}
