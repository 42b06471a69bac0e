using System.Collections.Concurrent;
using System.Net;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>Answers every request with 200 and records where it went and with which key.</summary>
internal sealed class HeaderRecordingHandler : HttpMessageHandler
{
    private readonly ConcurrentQueue<(Uri Uri, string? ApiKey)> _requests = new();

    public IReadOnlyList<(Uri Uri, string? ApiKey)> Requests => [.. _requests];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = request.Headers.TryGetValues("x-growlytics-key", out var values) ? values.FirstOrDefault() : null;
        _requests.Enqueue((request.RequestUri!, key));
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
    }
}
