using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// Every log line of the SDK, with stable event ids. None takes an attribute value, a user id or the API key.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Dropped {Count} invalid Growlytics call(s) since the last report; latest: {Reason}")]
    public static partial void InvalidInputDropped(ILogger logger, long count, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Identify was called {Count} time(s) since the last report while another user was logged in; that user was logged out first so their profile is not overwritten. Call Logout() before identifying a different user.")]
    public static partial void IdentifyWithoutLogout(ILogger logger, long count);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Growlytics queue is full ({Capacity} messages or {CapacityBytes} bytes): {Count} message(s) dropped since the last report.")]
    public static partial void QueueFull(ILogger logger, int capacity, long capacityBytes, long count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Sent a request of {Count} message(s), {Bytes} bytes (gzip with the batch protocol, plain JSON with REST).")]
    public static partial void BatchSent(ILogger logger, int count, int bytes);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Growlytics requests failed and are being retried: {Count} retr(ies) scheduled since the last report; the latest after {Outcome}, in {Delay}.")]
    public static partial void Retrying(ILogger logger, long count, string outcome, TimeSpan delay);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Growlytics requests to {Target} ran out of retries: {Count} message(s) since the last report, the latest after {Outcome}; they were dropped (RetriesExhausted).")]
    public static partial void RetriesExhausted(ILogger logger, long count, string outcome, string target);

    // With StorageDirectory nothing is lost here (an offline app logs this for as long as it is offline): a warning. A kept
    // message that runs out again is counted again; its drop, if the service keeps refusing it, is event 2014.
    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Growlytics requests to {Target} ran out of retries: {Count} message(s) since the last report (one kept and tried again counts each time), the latest after {Outcome}; they are kept and tried again later, none dropped.")]
    public static partial void RetriesExhaustedKept(ILogger logger, long count, string outcome, string target);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Error, Message = "Dropped {Count} message(s) since the last report that had run out of retries and that the Growlytics service refused again while it accepted others: kept, they held other users back (RetriesExhausted).")]
    public static partial void StoredRefusalDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "The Growlytics service at {Target} refused {Count} message(s) with status {Status}, field {Path}, rule {Rule} since the last report of that refusal; they were dropped.")]
    public static partial void BatchRejected(ILogger logger, long count, int status, string path, string rule, string target);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "The Growlytics service refused the API key (status {Status}). Messages are counted Unauthorized and dropped; sending is tried again in {RetryIn}. Check GrowlyticsOptions.ApiKey.")]
    public static partial void Unauthorized(ILogger logger, int status, TimeSpan retryIn);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "The service answered 413 to {Count} batch(es) since the last report; each was sent again in two halves. Latest: {Messages} message(s).")]
    public static partial void SplittingBatch(ILogger logger, long count, int messages);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Dropped {Count} message(s) since the last report, each too large for the service on its own (413). Latest: {Bytes} bytes.")]
    public static partial void MessageTooLarge(ILogger logger, long count, int bytes);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Growlytics shut down with {Count} message(s) undelivered.")]
    public static partial void UndeliveredAtShutdown(ILogger logger, long count);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Growlytics shut down with {Count} message(s) undelivered: ShutdownTimeout ran out (or the circuit breaker was open past it, so nothing could be delivered within it).")]
    public static partial void UndeliveredAtShutdownDeadline(ILogger logger, long count);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Growlytics shut down with {Count} message(s) undelivered: the token passed to ShutdownAsync was cancelled, with time left in ShutdownTimeout (a host cancels the token it passes once its own stop budget, HostOptions.ShutdownTimeout, is spent).")]
    public static partial void UndeliveredAtShutdownCancelled(ILogger logger, long count);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning, Message = "Growlytics shut down without waiting for a MessageDropped handler that was still running after the deadline; every drop is counted, and those it has not reported yet are reported, summed per reason, when it returns. Handlers must be quick and must not wait for the thread that shuts the client down (Control.Invoke, Dispatcher.Invoke).")]
    public static partial void DropHandlerHeldAtShutdown(ILogger logger);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Warning, Message = "GrowlyticsClient.Dispose returned after {Waited} without the shutdown having ended; it goes on in the background. The shutdown runs on the thread pool: a pool whose threads are all blocked, a process short of CPU (a machine or container far busier than its cores) or a storage disk that stalls holds it up.")]
    public static partial void DisposeReturnedBeforeShutdown(ILogger logger, TimeSpan waited);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Information, Message = "Growlytics flushed on {Signal}: nothing is pending.")]
    public static partial void FlushedOnExitSignal(ILogger logger, string signal);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Warning, Message = "Growlytics flushed on {Signal} for ShutdownTimeout: {Pending} message(s) still pending, lost if the signal ends the process (without StorageDirectory nothing is kept for the next start).")]
    public static partial void PendingAtExitSignal(ILogger logger, long pending, string signal);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Warning, Message = "Growlytics flushed on {Signal} for ShutdownTimeout: {Pending} message(s) still pending; if the signal ends the process, what the storage folder holds is sent at the next start.")]
    public static partial void PendingAtExitSignalStored(ILogger logger, long pending, string signal);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Warning, Message = "Growlytics flushed on {Signal} for ShutdownTimeout: {Pending} message(s) still pending; if the signal ends the process, what the storage folder holds is sent at the next start, but not {DroppedFromFolder} of them whose records a storage limit (MaxStorageBytes or MaxStorageAge) dropped from the folder while their request was on its way: those are lost then. If the process goes on, they are counted when their request settles (delivered, or dropped for that limit).")]
    public static partial void PendingAtExitSignalDroppedFromFolder(ILogger logger, long pending, long droppedFromFolder, string signal);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Growlytics shut down. Since it started: {Enqueued} message(s) accepted, {Delivered} delivered, {Dropped} dropped ({Reasons}), {Pending} pending, {Retried} retried request(s), {InvalidInputs} invalid call(s) refused.")]
    public static partial void ShutdownTotalsInMemory(ILogger logger, long enqueued, long delivered, long dropped, string reasons, long pending, long retried, long invalidInputs);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Growlytics shut down. Since it started: {Enqueued} message(s) accepted, {Delivered} delivered, {Dropped} dropped ({Reasons}), {Pending} pending (kept in the storage folder for the next start), {Retried} retried request(s), {InvalidInputs} invalid call(s) refused.")]
    public static partial void ShutdownTotalsStored(ILogger logger, long enqueued, long delivered, long dropped, string reasons, long pending, long retried, long invalidInputs);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Error, Message = "Unexpected error in the Growlytics delivery loop; it keeps running.")]
    public static partial void DeliveryLoopFault(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Growlytics refused {Count} message(s) since the last report: {Reason}.")]
    public static partial void Refused(ILogger logger, long count, DropReason reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "A Growlytics message could not be serialized ({ExceptionType}); it was dropped.")]
    public static partial void MessageNotSerializable(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "Sending a batch of {Count} message(s) failed unexpectedly ({ExceptionType}); they were dropped.")]
    public static partial void BatchFaulted(ILogger logger, long count, string exceptionType);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "The stored Growlytics session could not be read ({Error}); a new session was started.")]
    public static partial void SessionFileUnreadable(ILogger logger, string error);

    // Not 3001: a client that takes the folder over, its session unchanged since its start, starts no session there.
    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "The stored Growlytics session could not be read ({Error}) when this client took the storage folder over; it continues the session it has and writes it over the file.")]
    public static partial void SessionFileUnreadableAtTakeOver(ILogger logger, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "The Growlytics session could not be saved ({Error}); it is kept in memory, and saved again once a write works (logged once, event 3004).")]
    public static partial void SessionFileNotWritten(ILogger logger, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "The Growlytics session is saved again; {Count} write(s) had failed.")]
    public static partial void SessionFileWrittenAgain(ILogger logger, long count);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "The anonymous attributes held for the login would make the Growlytics session file {Bytes} bytes, more than its share of MaxStorageBytes ({Limit} bytes): the file keeps the session's ids only, and the held attributes stay in memory until the login (dropped, and logged, if the process ends before it).")]
    public static partial void HeldAttributesNotPersisted(ILogger logger, long bytes, long limit);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "The session changed (a login, a logout, or a push held for a login) while another client holds the storage folder: the change is kept in memory and saved to session.json when this client takes the folder over. If this process ends before that, the next start continues the session the folder holds (the user who logged out here may be logged in there).")]
    public static partial void SessionNotSavedFolderHeld(ILogger logger);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "The Growlytics storage folder is held by another client, in this process or another (queue.lock is locked); this client keeps its queue in memory and takes the folder over when it is released. Give each running instance its own StorageDirectory.")]
    public static partial void StorageLocked(ILogger logger);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "The Growlytics storage folder cannot be used ({Error}); this client keeps its queue in memory only.")]
    public static partial void StorageUnavailable(ILogger logger, string error);

    [LoggerMessage(EventId = 4019, Level = LogLevel.Warning, Message = "{Count} Growlytics storage file(s) could not be read ({Error}); they are left there for the next start and not sent now (they count toward MaxStorageBytes). The rest was restored; new messages are stored as usual.")]
    public static partial void StorageFilesNotRead(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Warning, Message = "What the Growlytics storage folder holds could not be read ({Error}); it is left there for the next start and not sent now. New messages are stored as usual.")]
    public static partial void StorageNotRead(ILogger logger, string error);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Restored {Count} undelivered message(s) from Growlytics storage; sending them now.")]
    public static partial void StorageRestored(ILogger logger, long count);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Skipped {Count} damaged record(s) or file(s) in Growlytics storage.")]
    public static partial void StorageDamaged(ILogger logger, long count);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "{Count} Growlytics storage file(s) were written by a newer SDK version; they are left untouched and not sent.")]
    public static partial void StorageNewerFormat(ILogger logger, int count);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "Writing to Growlytics storage failed ({Error}; {Count} failure(s) since the last report); messages are delivered from memory meanwhile and the disk is tried again in {RetryIn}.")]
    public static partial void StorageWriteFailed(ILogger logger, string error, long count, TimeSpan retryIn);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Dropped the oldest {Count} stored message(s): {Reason}.")]
    public static partial void StorageDropped(ILogger logger, long count, DropReason reason);


    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Growlytics shut down with {Count} message(s) kept in storage; they are sent at the next start.")]
    public static partial void LeftInStorage(ILogger logger, long count);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "Unexpected error in Growlytics storage; it keeps running.")]
    public static partial void StorageFault(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "A MessageDropped handler threw {Count} time(s) since the last report, latest {Error}; the exceptions are ignored.")]
    public static partial void DroppedHandlerFault(ILogger logger, string error, long count);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "The Growlytics facade already had a client when the host started (from Growlytics.Initialize, or another host in this process), so Growlytics.User and Growlytics.Customers keep sending through that one outside the requests UseGrowlytics scopes (within them the facade uses the host's client); otherwise the client registered with AddGrowlytics serves only code that resolves GrowlyticsClient from the container. Use one of the two, or Growlytics.UseClient for hosts side by side.")]
    public static partial void FacadeHasAnotherClient(ILogger logger);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "GrowlyticsOptions.Protocol is Batch and the endpoint's host, {Host}, is Growlytics' service, which serves its REST API and no events/sdk-batch: each request will be refused and its messages dropped as Rejected. Use GrowlyticsProtocol.Rest (the default), or point Endpoint at a collector that implements the batch body.")]
    public static partial void BatchToGrowlyticsService(ILogger logger, string host);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "The Growlytics configuration has key(s) that are not options read from configuration, so their values are ignored: {Keys}. Check the spelling against the options in the README (FlushOnProcessExit, HttpClient, LoggerFactory and TimeProvider are set in code only).")]
    public static partial void UnreadConfigurationKeys(ILogger logger, string keys);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "The Growlytics configuration has time value(s) written as a bare number, which is read as a number of days: {Keys}. Write the unit out: hh:mm:ss for seconds (00:00:05 is 5 seconds), or d.hh:mm:ss for days (5.00:00:00 is 5 days).")]
    public static partial void TimesReadAsDays(ILogger logger, string keys);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "GrowlyticsOptions.StorageDirectory names a file, not a folder (the path, or a folder on it, is a file); this client keeps its queue in memory only.")]
    public static partial void StorageNotAFolder(ILogger logger);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "The Growlytics storage folder was released by its previous owner; this client uses it now.")]
    public static partial void StorageTakenOver(ILogger logger);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Information, Message = "Writing to Growlytics storage works again, after {Count} failed write(s).")]
    public static partial void StorageRecovered(ILogger logger, long count);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "The Growlytics storage folder was released by its previous owner but cannot be used yet ({Problem}); this client keeps its queue in memory and tries again every {RetryIn}.")]
    public static partial void StorageTakeOverWaits(ILogger logger, string problem, TimeSpan retryIn);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Warning, Message = "Saving the Growlytics storage position (queue.ack, queue.settled) failed ({Error}; {Count} failure(s) since the last report); it is tried again at the next commit. Until it succeeds, a restart may send some delivered messages again.")]
    public static partial void StorageAckFailed(ILogger logger, string error, long count);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Warning, Message = "The Growlytics storage folder's lock file (queue.lock) was not this client's any more (the folder removed while it ran, or the file deleted); it holds the folder at that path again and stores new messages there. Stored messages whose files went with a removed folder are dropped as Corrupted (event 4004).")]
    public static partial void StorageFolderTakenAgain(ILogger logger);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Warning, Message = "The Growlytics storage folder was removed while this client ran, and another client holds the folder made again at that path; this client delivers from memory, leaves that folder alone and tries again every {RetryIn}. Give each running instance its own StorageDirectory.")]
    public static partial void StorageFolderHeldElsewhere(ILogger logger, TimeSpan retryIn);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Warning, Message = "Most requests to the Growlytics service at {Target} failed: sending pauses for {BreakDuration}, then one request probes the service ({Count} pause(s) since the last report). Messages wait meanwhile (their retries are not used up).")]
    public static partial void CircuitOpened(ILogger logger, string target, TimeSpan breakDuration, long count);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Information, Message = "The primary handler of the HttpClient Growlytics sends through opens fewer connections per server (MaxConnectionsPerServer) than GrowlyticsOptions.MaxConcurrentRequests allows requests in flight: no more requests are sent at once than it has connections for, so that none waits inside the handler for a connection while its RequestTimeout runs. Raise the handler's limit for more requests at once.")]
    public static partial void RequestsCappedAtConnections(ILogger logger);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "The Growlytics endpoint answered with status {Status} (a 3xx, to host {LocationHost}); redirects are never followed, so the API key goes nowhere else. The messages were dropped as Rejected ({Count} redirect(s) since the last report). Check GrowlyticsOptions.Endpoint.")]
    public static partial void RedirectRefused(ILogger logger, int status, string locationHost, long count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "The HttpClient Growlytics sends through (given in GrowlyticsOptions.HttpClient, or configured for AddGrowlytics) followed a redirect to host {Host}; the request counts as failed and its messages were dropped as Rejected. Use a handler with AllowAutoRedirect = false, so the API key is never sent to another address.")]
    public static partial void RedirectFollowed(ILogger logger, string host);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "A request of the HttpClient configured for AddGrowlytics went out without the API key: the handler that adds it right before the primary handler was missing (the primary handler replaced after AddGrowlytics configured it). The request is tried again, and the key is put on each request itself from now on, where request logging the app adds to that client sees it.")]
    public static partial void ApiKeyHandlerMissing(ILogger logger);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "{Calls} anonymous Push call(s) of {Sessions} visitor(s), held for a login, were dropped: the visitors were inactive longer than AnonymousAttributeRetention without logging in.")]
    public static partial void HeldAttributesExpired(ILogger logger, long calls, long sessions);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "{Calls} anonymous Push call(s) of {Sessions} visitor(s), held for a login, were dropped to make room: MaxHeldAnonymousSessions visitors, or MaxQueueBytes of their attributes, were held.")]
    public static partial void HeldAttributesEvicted(ILogger logger, long calls, long sessions);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "{Calls} anonymous Push call(s) of {Sessions} visitor(s), held for a login, were dropped: the visitor logged out (its session goes on with a new anonymous id), or another user logged in with an anonymous id that had logged in as someone else since those pushes (they are not the new user's).")]
    public static partial void HeldAttributesDiscarded(ILogger logger, long calls, long sessions);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Growlytics shut down with {Calls} anonymous Push call(s) of {Sessions} visitor(s) held for a login that never came; they were dropped.")]
    public static partial void HeldAttributesAtShutdown(ILogger logger, long calls, long sessions);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "The held anonymous attributes in the Growlytics session file could not be read ({Error}); the session continues without them.")]
    public static partial void HeldAttributesUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Opted out of Growlytics tracking: nothing is recorded, queued or sent until OptIn is called; what was queued, stored or held is dropped (DropReason.OptedOut).")]
    public static partial void OptedOut(ILogger logger);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Opted back in to Growlytics tracking: calls from now on are recorded and sent.")]
    public static partial void OptedIn(ILogger logger);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Growlytics starts opted out (the choice stored in privacy.json): nothing is recorded, queued or sent until OptIn is called.")]
    public static partial void StartsOptedOut(ILogger logger);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "The Growlytics privacy choice could not be saved ({Error}); it applies to this process only.")]
    public static partial void PrivacyChoiceNotSaved(ILogger logger, string error);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "The stored Growlytics privacy choice could not be read ({Error}); the client starts opted out until OptIn is called.")]
    public static partial void PrivacyChoiceUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Deleted the local Growlytics data: the stored queue, the session file and held attributes; the process-wide session starts again with a new anonymous id.")]
    public static partial void LocalDataDeleted(ILogger logger);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "{Count} Growlytics file(s) could be neither deleted nor emptied ({Error}): what they hold stays, and a later start may send it. They are tried again at the next deletion.")]
    public static partial void LocalDataNotDeleted(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "{Calls} anonymous Push call(s) of {Sessions} visitor(s), held for a login, were dropped at the user's privacy request (opt-out or deletion).")]
    public static partial void HeldAttributesDroppedForPrivacy(ILogger logger, long calls, long sessions);
}
