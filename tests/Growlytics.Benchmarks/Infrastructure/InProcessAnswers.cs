using System.Net;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>
/// Answers every request with an empty 200 in the process, with no socket and no server: the harness's
/// <c>--loop many-inprocess</c>, which measures what the SDK itself costs per message (its calls, JSON, compression,
/// bookkeeping and collections) with only <see cref="HttpClient"/>'s own pipeline left of the HTTP exchange. The answer is
/// given after a yield, so it arrives on another pool thread as a real one does.
/// </summary>
internal sealed class InProcessAnswers : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]), RequestMessage = request };
    }
}
