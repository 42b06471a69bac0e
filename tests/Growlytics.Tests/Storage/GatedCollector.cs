using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A collector that holds every request until <see cref="Open"/> completes and never answers one that carries the
/// attribute <c>n</c> = <see cref="Special"/>; it records the numbers it accepted.
/// </summary>
internal sealed class GatedCollector : HttpMessageHandler
{
    /// <summary>The number whose requests are never answered (until cancelled).</summary>
    public const long Special = 99_999;

    public readonly TaskCompletionSource<bool> Open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int InFlight;
    private readonly object _gate = new();
    private readonly HashSet<long> _numbers = [];

    public HashSet<long> Numbers
    {
        get
        {
            lock (_gate)
            {
                return [.. _numbers];
            }
        }
    }

    /// <summary>Gets the attribute <c>n</c> of every message in a batch request's body, in order.</summary>
    public static List<long> NumbersIn(byte[] body) => WireBody.BatchMessages(body)
        .SelectMany(m => m.GetProperty("attributes").EnumerateArray())
        .Where(a => a.GetProperty("name").GetString() == "n")
        .Select(a => a.GetProperty("value").GetInt64())
        .ToList();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var numbers = NumbersIn(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
        Interlocked.Increment(ref InFlight);
        try
        {
            if (numbers.Contains(Special))
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            await Open.Task.WaitAsync(cancellationToken);
            lock (_gate)
            {
                _numbers.UnionWith(numbers);
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
        finally
        {
            Interlocked.Decrement(ref InFlight);
        }
    }
}
