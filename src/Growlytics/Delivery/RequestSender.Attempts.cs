using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Delivery;

/// <summary>The sender's side of one attempt on the wire: its slot, its timeout, and the HTTP request itself.</summary>
internal sealed partial class RequestSender
{
    // One attempt: a slot for its time on the wire, the attempt timeout inside it.
    private async Task<HttpResponseMessage> PostOnceAsync(AttemptState state, CancellationToken cancellationToken)
    {
        if (state.HoldsSlot)
        {
            state.HoldsSlot = false;
        }
        else
        {
            await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var response = await _attemptTimeout.ExecuteAsync(
                static (s, token) => new ValueTask<HttpResponseMessage>(s.Sender.PostAsync(s, token)),
                state,
                cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var succeeded = status is >= 200 and < 300;
            if (succeeded)
            {
                Interlocked.Increment(ref _successes);
            }

            if (status == 429 || response.Headers.RetryAfter is not null)
            {
                state.Throttled = true;
                _limiter.OnOverload();
            }
            else if (succeeded)
            {
                _limiter.OnSuccess();
            }

            _recent.Record(failed: IsTransient(status));
            return response;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _recent.Record(failed: true);
            throw;
        }
        finally
        {
            _limiter.Release();
        }
    }

    private async Task<HttpResponseMessage> PostAsync(AttemptState state, CancellationToken cancellationToken)
    {
        var messages = state.Messages;
        using var request = (state.Prepared is { } prepared ? await prepared.TakeAsync().ConfigureAwait(false) : null) ?? _protocol.CreateRequest(messages, _time.GetUtcNow());
        request.Headers.TryAddWithoutValidation("x-growlytics-key", _apiKey);
        request.Headers.TryAddWithoutValidation("User-Agent", SdkInfo.UserAgent);
        var sent = request.RequestUri!;
        var response = _redirects.Inspect(
            await _http().SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false),
            sent);
        if (response.IsSuccessStatusCode)
        {
            _counters.AddRequest();
            Log.BatchSent(_logger, messages.Count, (int)(request.Content?.Headers.ContentLength ?? 0));
        }

        return response;
    }
}
