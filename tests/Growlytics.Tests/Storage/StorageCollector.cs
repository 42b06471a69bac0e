using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>A fake collector behind an <see cref="HttpMessageHandler"/>: down (connection refused) or up (200), recording what it accepted.</summary>
internal sealed class StorageCollector : HttpMessageHandler
{
    private readonly object _gate = new();
    private readonly List<(string MessageId, long? N)> _messages = [];

    public volatile bool Up;

    public int Attempts;

    /// <summary>Gets or sets a task every request waits for once its messages are recorded, before it is answered.</summary>
    public Func<Task>? BeforeAnswer { get; set; }

    /// <summary>
    /// Gets or sets a test of a request's numbers (<see langword="null"/> for a message without one): when it holds, the
    /// request is answered 503, unrecorded.
    /// </summary>
    public Func<IReadOnlyList<long?>, bool>? Refuse { get; set; }

    /// <summary>Gets or sets a value indicating whether requests hang, unrecorded, until the sender cancels them (a service that never answers).</summary>
    public volatile bool Hang;

    /// <summary>
    /// Gets or sets a test of a request's numbers (as <see cref="Refuse"/>): when it holds, the request hangs, unrecorded,
    /// until the sender cancels it (counted in <see cref="Hanging"/>).
    /// </summary>
    public Func<IReadOnlyList<long?>, bool>? HangWhen { get; set; }

    /// <summary>The number of requests <see cref="HangWhen"/> has held so far.</summary>
    public int Hanging;

    public IReadOnlyList<(string MessageId, long? N)> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    public HashSet<long> Numbers => [.. Messages.Where(m => m.N is not null).Select(m => m.N!.Value)];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Attempts);
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (!Up)
        {
            throw new HttpRequestException("Connection refused (test collector is down).");
        }

        var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        var messages = WireBody.BatchMessages(body);
        var numbered = new List<(string MessageId, long? N)>();
        foreach (var message in messages)
        {
            long? n = null;
            foreach (var attribute in message.GetProperty("attributes").EnumerateArray())
            {
                if (attribute.GetProperty("name").GetString() == "n")
                {
                    n = attribute.GetProperty("value").GetInt64();
                }
            }

            numbered.Add((message.GetProperty("messageId").GetString()!, n));
        }

        if (HangWhen is { } hang && hang(numbered.Select(m => m.N).ToList()))
        {
            Interlocked.Increment(ref Hanging);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Refuse is { } refuse && refuse(numbered.Select(m => m.N).ToList()))
        {
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }

        lock (_gate)
        {
            _messages.AddRange(numbered);
        }

        if (BeforeAnswer is { } wait)
        {
            await wait();
        }

        return new HttpResponseMessage(HttpStatusCode.OK);
    }
}
