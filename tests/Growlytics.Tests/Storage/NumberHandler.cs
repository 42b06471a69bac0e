using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Answers batch requests in process and records, in order, the numbers (attribute <c>n</c>) of the messages it accepted;
/// <see cref="Refuse"/> may answer a request with a failure instead.
/// </summary>
internal sealed class NumberHandler : HttpMessageHandler
{
    private readonly object _gate = new();
    private readonly List<long> _accepted = [];

    /// <summary>Gets the status to answer a request carrying these numbers with instead of accepting it, or <see langword="null"/>.</summary>
    public Func<IReadOnlyList<long>, HttpStatusCode?>? Refuse { get; init; }

    public IReadOnlyList<long> Accepted
    {
        get
        {
            lock (_gate)
            {
                return [.. _accepted];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        var numbers = WireBody.BatchMessages(body)
            .Select(m => m.GetProperty("attributes").EnumerateArray().First(a => a.GetProperty("name").GetString() == "n").GetProperty("value").GetInt64())
            .ToList();
        if (Refuse?.Invoke(numbers) is { } status)
        {
            return new HttpResponseMessage(status);
        }

        lock (_gate)
        {
            _accepted.AddRange(numbers);
        }

        return new HttpResponseMessage(HttpStatusCode.OK);
    }
}
