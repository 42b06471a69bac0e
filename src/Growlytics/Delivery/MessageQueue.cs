using System.Threading.Channels;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The bounded in-memory queue between callers and the delivery loop. Enqueue never blocks and does no
/// I/O; a full queue drops (newest or oldest, by policy) and counts. The loop is woken when the queue
/// reaches a batch's worth of messages or of (estimated) bytes, never per message.
/// </summary>
internal sealed class MessageQueue
{
    // The load word packs the queued message count (high bits) and their estimated bytes (low 38 bits), so
    // one interlocked add per message keeps both. 2^38 bytes (256 GB) is far beyond what memory can queue.
    private const int CountShift = 38;
    private const long BytesMask = (1L << CountShift) - 1;
    private const long OneMessage = 1L << CountShift;
    private const int Open = 0;
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly Channel<UserMessage> _channel;
    private readonly DeliveryCounters _counters;
    private readonly WakeSignal _wake;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly LogRateLimiter _fullReports;
    private readonly LogRateLimiter _afterShutdownReports;
    private long _load;

    // Open, or (int)reason + 1 once new messages are refused: Shutdown after Complete, Unauthorized after a 401/403.
    private volatile int _refusal;

    public MessageQueue(GrowlyticsOptions options, DeliveryCounters counters, WakeSignal wake, ILogger logger)
    {
        _counters = counters;
        _wake = wake;
        _logger = logger;
        _capacity = options.MaxQueueSize;

        // A queue smaller than a batch must still wake the loop before it overflows.
        WakeCount = Math.Min(options.MaxBatchSize, options.MaxQueueSize);
        WakeBytes = options.MaxBatchBytes;
        _fullReports = new LogRateLimiter(options.TimeProvider, LogInterval);
        _afterShutdownReports = new LogRateLimiter(options.TimeProvider, LogInterval);
        var channelOptions = new BoundedChannelOptions(options.MaxQueueSize)
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
            FullMode = options.QueueOverflowPolicy == QueueOverflowPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
        };
        _channel = Channel.CreateBounded<UserMessage>(channelOptions, OnOldestDropped);
    }

    /// <summary>Gets the number of messages waiting in the queue.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Gets the queue length at which a batch is due.</summary>
    public int WakeCount { get; }

    /// <summary>Gets the estimated JSON bytes at which a batch is due.</summary>
    public int WakeBytes { get; }

    /// <summary>Gets the estimated JSON size of the queued messages (see <see cref="MessageSize"/>).</summary>
    public long EstimatedBytes => Volatile.Read(ref _load) & BytesMask;

    /// <summary>Gets a value indicating whether a full batch (by count or by bytes) is waiting.</summary>
    public bool HasFullBatch => Count >= WakeCount || EstimatedBytes >= WakeBytes;

    public void Enqueue(UserMessage message)
    {
        _counters.AddEnqueued();
        if (_refusal != Open)
        {
            Refused();
            return;
        }

        var size = MessageSize.Estimate(message);
        var delta = OneMessage | (uint)size;
        var after = Interlocked.Add(ref _load, delta);
        if (!_channel.Writer.TryWrite(message))
        {
            Interlocked.Add(ref _load, -delta);
            if (_refusal != Open)
            {
                Refused();
                return;
            }

            _counters.AddDropped(DropReason.QueueFull, 1);
            ReportFull();
            return;
        }

        // Signalled after the write, so a woken loop finds the message. Exactly one caller sees each crossing.
        var bytesAfter = after & BytesMask;
        if ((after >> CountShift) == WakeCount || (bytesAfter >= WakeBytes && bytesAfter - size < WakeBytes))
        {
            _wake.Set();
        }
    }

    /// <summary>Stops accepting: later messages are counted as dropped at shutdown.</summary>
    public void Complete()
    {
        _refusal = (int)DropReason.Shutdown + 1;
        _channel.Writer.TryComplete();
    }

    /// <summary>Refuses later messages with <paramref name="reason"/> (the key was refused); what is queued stays for the loop to settle.</summary>
    public void Refuse(DropReason reason)
    {
        if (_refusal == Open)
        {
            _refusal = (int)reason + 1;
        }
    }

    public bool TryDequeue(out UserMessage message)
    {
        if (!_channel.Reader.TryRead(out message!))
        {
            return false;
        }

        Interlocked.Add(ref _load, -(OneMessage | (uint)MessageSize.Estimate(message)));
        return true;
    }

    private void Refused()
    {
        var reason = (DropReason)(_refusal - 1);
        _counters.AddDropped(reason, 1);
        if (reason == DropReason.Shutdown && _afterShutdownReports.TryReport(out var count))
        {
            Log.AfterShutdown(_logger, count);
        }
    }

    private void OnOldestDropped(UserMessage message)
    {
        Interlocked.Add(ref _load, -(OneMessage | (uint)MessageSize.Estimate(message)));
        _counters.AddDropped(DropReason.QueueFull, 1);
        ReportFull();
    }

    private void ReportFull()
    {
        if (_fullReports.TryReport(out var count))
        {
            Log.QueueFull(_logger, _capacity, count);
        }
    }
}
