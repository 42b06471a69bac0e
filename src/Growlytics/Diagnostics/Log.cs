using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// Every log line of the SDK, with stable event ids. None takes an attribute value, a user id or the API key.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Dropped an invalid Growlytics call: {Reason}")]
    public static partial void InvalidInputDropped(ILogger logger, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Identify was called while another user was logged in; that user was logged out first so their profile is not overwritten. Call Logout() before identifying a different user.")]
    public static partial void IdentifyWithoutLogout(ILogger logger);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Growlytics queue is full ({Capacity} messages): {Count} message(s) dropped since the last report.")]
    public static partial void QueueFull(ILogger logger, int capacity, long count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Sent a batch of {Count} message(s), {Bytes} bytes compressed.")]
    public static partial void BatchSent(ILogger logger, int count, int bytes);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Sending a batch failed (attempt {Attempt}, {Outcome}); retrying in {Delay}.")]
    public static partial void Retrying(ILogger logger, int attempt, string outcome, TimeSpan delay);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Dropped a batch of {Count} message(s) after retries ran out ({Outcome}).")]
    public static partial void RetriesExhausted(ILogger logger, int count, string outcome);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "The Growlytics service rejected a batch of {Count} message(s) with status {Status}; the batch was dropped.")]
    public static partial void BatchRejected(ILogger logger, int count, int status);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "The Growlytics service refused the API key (status {Status}). Sending has stopped; check GrowlyticsOptions.ApiKey.")]
    public static partial void Unauthorized(ILogger logger, int status);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "The service answered 413 to a batch of {Count} message(s); sending it in two halves.")]
    public static partial void SplittingBatch(ILogger logger, int count);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "A single message of {Bytes} bytes is too large for the service (413); it was dropped.")]
    public static partial void MessageTooLarge(ILogger logger, int bytes);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Growlytics shut down with {Count} message(s) undelivered.")]
    public static partial void UndeliveredAtShutdown(ILogger logger, long count);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Error, Message = "Unexpected error in the Growlytics delivery loop; it keeps running.")]
    public static partial void DeliveryLoopFault(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Growlytics calls were made after the client was shut down: {Count} message(s) dropped since the last report.")]
    public static partial void AfterShutdown(ILogger logger, long count);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "A Growlytics message could not be serialized ({ExceptionType}); it was dropped.")]
    public static partial void MessageNotSerializable(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "Sending a batch of {Count} message(s) failed unexpectedly ({ExceptionType}); they were dropped.")]
    public static partial void BatchFaulted(ILogger logger, long count, string exceptionType);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "The stored Growlytics session could not be read ({Error}); a new session was started.")]
    public static partial void SessionFileUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "The Growlytics session could not be saved ({Error}); it is kept in memory.")]
    public static partial void SessionFileNotWritten(ILogger logger, string error);
}
