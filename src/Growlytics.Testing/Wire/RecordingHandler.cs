using System.Net;
using System.Text;

namespace GrowlyticsSdk.Testing.Wire;

/// <summary>Answers the SDK's requests as a healthy service would and hands what they carried to the recorder.</summary>
internal sealed class RecordingHandler : HttpMessageHandler
{
    private readonly Action<IReadOnlyList<RecordedCall>> _record;

    public RecordingHandler(Action<IReadOnlyList<RecordedCall>> record) => _record = record;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
#if NET
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
#else
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
#endif
        var gzip = request.Content?.Headers.ContentEncoding.Contains("gzip") == true;
        var calls = WireDecoder.Decode(request.RequestUri?.AbsolutePath ?? string.Empty, body, gzip);
        if (calls is null)
        {
            return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
        }

        _record(calls);
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            RequestMessage = request,
            Content = new StringContent("{\"success\":true}", Encoding.UTF8, "application/json"),
        };
    }
}
