using System.Net;
using System.Text;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A service for either protocol that records the numbers ("n") it accepts, and holds, until <see cref="Release"/>,
/// every request whose numbers <c>holds</c> picks.
/// </summary>
internal sealed class NumberHoldingCollector(Func<IReadOnlyList<long>, bool> holds) : HttpMessageHandler
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<long> _delivered = [];
    private int _held;

    /// <summary>Gets the number of messages in the requests held now.</summary>
    public int Held => Volatile.Read(ref _held);

    public List<long> Delivered
    {
        get
        {
            lock (_delivered)
            {
                return [.. _delivered];
            }
        }
    }

    public void Release() => _released.TrySetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        var gzip = request.Content.Headers.ContentEncoding.Contains("gzip");
        var rest = request.RequestUri!.AbsolutePath.EndsWith("rest-api/customer", StringComparison.Ordinal);
        IReadOnlyList<System.Text.Json.JsonElement> owners = rest ? [WireBody.RestCustomer(body, gzip)] : WireBody.BatchMessages(body);
        var numbers = owners.Select(m => long.Parse(WireBody.Attributes(m)["n"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (holds(numbers))
        {
            Interlocked.Add(ref _held, numbers.Count);
            try
            {
                await _released.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Add(ref _held, -numbers.Count);
            }
        }

        lock (_delivered)
        {
            _delivered.AddRange(numbers);
        }

        return rest
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}", Encoding.UTF8, "application/json") }
            : new HttpResponseMessage(HttpStatusCode.OK);
    }
}
