using System.Threading.Channels;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The bounded in-memory queue between callers and the delivery loop. Enqueue never blocks and does no
/// I/O; a full queue drops (newest or oldest, by policy) and counts.
/// </summary>
internal sealed class MessageQueue
{
    private readonly Channel<UserMessage> _channel;
    private readonly DeliveryCounters _counters;
    private readonly WakeSignal _wake;
    private readonly DropReporter _dropReporter;
    private readonly int _batchSize;
    private int _sinceWake;
    private volatile bool _completed;

    public MessageQueue(GrowlyticsOptions options, DeliveryCounters counters, WakeSignal wake, ILogger logger)
    {
        _counters = counters;
        _wake = wake;
        _batchSize = options.MaxBatchSize;
        _dropReporter = new DropReporter(logger, options.TimeProvider, options.MaxQueueSize);
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

    public void Enqueue(UserMessage message)
    {
        _counters.AddEnqueued();
        if (_completed)
        {
            _counters.AddDropped(DropReason.Shutdown, 1);
            return;
        }

        if (!_channel.Writer.TryWrite(message))
        {
            if (_completed)
            {
                _counters.AddDropped(DropReason.Shutdown, 1);
                return;
            }

            _counters.AddDropped(DropReason.QueueFull, 1);
            _dropReporter.Report();
            return;
        }

        if (Interlocked.Increment(ref _sinceWake) % _batchSize == 0)
        {
            _wake.Set();
        }
    }

    /// <summary>Stops accepting: later messages are counted as dropped at shutdown.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }

    public bool TryDequeue(out UserMessage message) => _channel.Reader.TryRead(out message!);

    private void OnOldestDropped(UserMessage message)
    {
        _counters.AddDropped(DropReason.QueueFull, 1);
        _dropReporter.Report();
    }

    /// <summary>Logs queue-full drops at most once per interval, with the count since the last report.</summary>
    private sealed class DropReporter
    {
        private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
        private readonly ILogger _logger;
        private readonly TimeProvider _time;
        private readonly int _capacity;
        private long _unreported;
        private long _nextReportTicks;

        public DropReporter(ILogger logger, TimeProvider time, int capacity)
        {
            _logger = logger;
            _time = time;
            _capacity = capacity;
        }

        public void Report()
        {
            Interlocked.Increment(ref _unreported);
            var now = _time.GetTimestamp();
            var next = Volatile.Read(ref _nextReportTicks);
            if (now < next || Interlocked.CompareExchange(ref _nextReportTicks, now + (long)(Interval.TotalSeconds * _time.TimestampFrequency), next) != next)
            {
                return;
            }

            Log.QueueFull(_logger, _capacity, Interlocked.Exchange(ref _unreported, 0));
        }
    }
}
