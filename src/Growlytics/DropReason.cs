namespace GrowlyticsSdk;

/// <summary>Why an accepted message was not delivered.</summary>
public enum DropReason
{
    /// <summary>The queue was full (see <see cref="GrowlyticsOptions.QueueOverflowPolicy"/>).</summary>
    QueueFull = 0,

    /// <summary>
    /// Retries or the per-batch retry budget ran out while the service kept failing. With
    /// <see cref="GrowlyticsOptions.StorageDirectory"/> such messages stay on disk, still pending, and are sent later;
    /// one is dropped with this reason only if the service refuses it again after accepting at least 32 other requests
    /// since it was first kept, and keeping it would hold others back: the stored queue waits for it
    /// (16,384 later records read), or it is held in memory (the disk failing, or the folder held by another client).
    /// </summary>
    RetriesExhausted = 1,

    /// <summary>
    /// The service refused the batch with a 4xx status other than 401, 403, 408, 413 or 429, or answered with a redirect
    /// (3xx), which is never followed so the API key goes nowhere but the configured endpoint. With
    /// <see cref="GrowlyticsProtocol.Rest"/>, also a 2xx whose body says <c>{"success": false}</c>
    /// (<see cref="MessageDroppedEventArgs.ErrorType"/> is then <c>success:false</c>).
    /// </summary>
    Rejected = 2,

    /// <summary>The message alone was larger than the service accepts (413 on a single message).</summary>
    TooLarge = 3,

    /// <summary>
    /// The service refused the API key (401 or 403). Sending pauses for 5 minutes, then the key is tried again; calls made
    /// during the pause are counted here too.
    /// </summary>
    Unauthorized = 4,

    /// <summary>
    /// Still queued when shutdown ran out of time (<see cref="GrowlyticsOptions.ShutdownTimeout"/>, or the token passed to
    /// <see cref="GrowlyticsClient.ShutdownAsync"/> was cancelled: log event 2009 says which), or recorded after the client
    /// was shut down.
    /// </summary>
    Shutdown = 5,

    /// <summary>An unexpected error inside the SDK (logged) kept the message from being serialized or sent.</summary>
    InternalError = 6,

    /// <summary>Storage reached <see cref="GrowlyticsOptions.MaxStorageBytes"/>; the oldest stored messages made room.</summary>
    StorageFull = 7,

    /// <summary>A stored message grew older than <see cref="GrowlyticsOptions.MaxStorageAge"/> before it could be sent.</summary>
    Expired = 8,

    /// <summary>A stored message could not be read back: its file was damaged or removed after it was written.</summary>
    Corrupted = 9,

    /// <summary>
    /// <see cref="GrowlyticsProtocol.Rest"/> only: an anonymous <c>Push</c> held for the visitor's login never met one. Its
    /// visitor was inactive longer than <see cref="GrowlyticsOptions.AnonymousAttributeRetention"/>, or made room when
    /// <see cref="GrowlyticsOptions.MaxHeldAnonymousSessions"/> visitors, or <see cref="GrowlyticsOptions.MaxQueueBytes"/> of
    /// their attributes, were held (the least recently active goes first); or a <c>Logout</c> in a scope that continues a
    /// visitor (the ASP.NET Core middleware's cookie or header, <see cref="GrowlyticsClient.BeginScope(string?, string?)"/>)
    /// started a new anonymous id, leaving what was held for the old one; or another user logged in with an anonymous id
    /// that had logged in as someone else since those pushes (they are not the new user's); or a second instance of a
    /// desktop app, which restored them from the session file at its start, took the storage folder over once the first
    /// had logged in or out (the first sent them with its login, or its session no longer holds them).
    /// </summary>
    AnonymousExpired = 10,

    /// <summary>
    /// The message has no form in the configured protocol: a stored anonymous update or logout, written under
    /// <see cref="GrowlyticsProtocol.Batch"/> (or by 0.1.0), read back by a client speaking <see cref="GrowlyticsProtocol.Rest"/>,
    /// which sends customer upserts only, within the REST limits: a stored login without attributes, or a message with more
    /// than 100 attributes or an attribute name of 50 characters or more, is not sent either.
    /// </summary>
    NotSupported = 11,

    /// <summary>
    /// Dropped at the user's privacy request: the call was made while the client was opted out
    /// (<see cref="GrowlyticsClient.OptOut"/>), or the message was queued, stored, held or being retried when the client
    /// was opted out or its local data was deleted (<see cref="GrowlyticsClient.DeleteLocalDataAsync"/>).
    /// </summary>
    OptedOut = 12,
}
