using System.Runtime.CompilerServices;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>The sender's side of one attempt on the wire: its slot, its timeout, and the HTTP request itself.</summary>
internal sealed partial class RequestSender
{
    private const string ContentEncoding = "Content-Encoding";

    // One attempt: a slot for its time on the wire, the attempt timeout inside it.
    private async Task<HttpResponseMessage> PostOnceAsync(AttemptState state, CancellationToken cancellationToken)
    {
        state.Stopping = cancellationToken;
        if (state.HoldsSlot)
        {
            state.HoldsSlot = false;
        }
        else
        {
            await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
        }

        state.WireAttempts++;
        TimeSpan? comeBackAfter = null;
        if (state.RetryOwed)
        {
            state.RetryOwed = false;
            _counters.AddRetry();
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

            var retryAfter = RetryDelays.RetryAfterOf(response.Headers);
            if (status == 429 || retryAfter is not null)
            {
                state.Throttled = true;
                _limiter.OnOverload();
                if (IsTransient(status))
                {
                    // Not one of MaxRetryAttempts: the service is up and said to wait, and the limiter spaces such attempts
                    // out; RetryBudget bounds them (a long rate limit used up the few batches' retries in seconds).
                    state.SlowedAttempts++;

                    // The slot is taken until the service said to come back (see ConcurrencyLimiter.ReleaseAfter); a 429
                    // that does not say when (or says it unreadably) is taken as "in a second": it answers as fast, and
                    // every waiting batch would otherwise retry within its short backoff. "Retry-After: 0" (a wait under a
                    // second rounded down, or a proxy that always says it) keeps it for that second too, whatever the
                    // status: such attempts use up no retries and never open the circuit, and a slot given back at once
                    // let every waiting batch retry every millisecond for its whole RetryBudget.
                    var said = RetryDelays.FromRetryAfter(retryAfter, response.Headers.Date ?? _time.GetUtcNow(), _maxRetryDelay);
                    comeBackAfter = said > TimeSpan.Zero ? said : status == 429 || said is not null ? _unsaidRetryAfter : null;
                }
            }
            else if (succeeded)
            {
                _limiter.OnSuccess();
            }

            _recent.Record(failed: IsTransient(status));
            Interlocked.Increment(ref _answers);
            _lastUnanswered = false;
            return response;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _recent.Record(failed: true);
            state.AnswersAtFailure = Interlocked.Read(ref _answers);
            _lastUnanswered = true;
            throw;
        }
        finally
        {
            if (comeBackAfter is { } delay && delay > TimeSpan.Zero)
            {
                _limiter.ReleaseAfter(delay);
            }
            else
            {
                _limiter.Release();
            }
        }
    }

    private async Task<HttpResponseMessage> PostAsync(AttemptState state, CancellationToken cancellationToken)
    {
        var messages = state.Messages;
        using var request = (state.Prepared is { } prepared ? await prepared.TakeAsync().ConfigureAwait(false) : null) ?? _protocol.CreateRequest(messages, _time.GetUtcNow());
        ApiKeyHandler.Ticket? ticket = null;
        if (_keyByHandler)
        {
            ticket = ApiKeyHandler.Attach(request, _apiKey);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(ApiKeyHandler.Header, _apiKey);
        }

        request.Headers.TryAddWithoutValidation("User-Agent", SdkInfo.UserAgent);
        var http = _http();
#if NET8_0_OR_GREATER
        // The client's HTTP version and policy, as its own helpers (PostAsync) use them: a client set to HTTP/2 reaches a
        // service that speaks only HTTP/2 (h2c, an h2-only gateway) and multiplexes its requests on one connection.
        request.Version = http.DefaultRequestVersion;
        request.VersionPolicy = http.DefaultVersionPolicy;
#endif
        state.SentBytes = (int)(request.Content?.Headers.ContentLength ?? 0);
        var sent = request.RequestUri!;

        // Headers first: the body is read here, as far as the protocol reads it, within the attempt's timeout.
        HttpResponseMessage response;
        try
        {
            // Not waited for past the token (the attempt's timeout, the retry budget, a shutdown): a handler that does not
            // look at the token (an app's) would otherwise hold the batch, its partition, flushes and the shutdown for ever.
            var sending = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!sending.IsCompleted && cancellationToken.CanBeCanceled)
            {
                try
                {
                    await Polyfills.TaskCompat.WaitAsync(sending, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Left to end on its own: its answer, if one ever comes, is disposed and a fault observed.
                    _ = sending.Then(static (t, _) => AbandonedSend(t), null);
                    throw;
                }
            }

            response = await sending.ConfigureAwait(false);
        }
        catch (Exception) when (!state.Stopping.IsCancellationRequested && request.RequestUri is { } final && final != sent)
        {
            // An app-supplied handler followed a redirect (it rewrites the request's URI) and the hop failed or timed out:
            // a redirect all the same, refused and never retried, so the key is not sent to the redirect target again.
            return _redirects.Followed(request, final, sent);
        }

        if (ticket is not null)
        {
            ApiKeyHandler.Detach(request);
        }

        try
        {
            response = _redirects.Inspect(response, sent);
            if (ticket is { RefusedFor: { } elsewhere } && !RedirectGuard.IsRedirect((int)response.StatusCode))
            {
                // An app's handler sent the request to another address (and put the original back), also after sending it
                // to the endpoint first (a redirect it followed itself): sent there without the key, refused as a followed
                // redirect, never tried again with the key on the request itself.
                response.Dispose();
                response = _redirects.Followed(request, elsewhere, sent);
            }

            if (ticket is { Added: false } && !RedirectGuard.IsRedirect((int)response.StatusCode) && _keyWatch is not { AnsweredBeforeTheKeyHandler: true })
            {
                // Sent without the key: whatever the answer (a 401 would drop the queue), a failed attempt, tried again with
                // the key on the request itself from now on. (Not a redirect, followed or not: refused as any other, never
                // tried again, so a pipeline that follows redirects never gets the key to send to their target.) Not when
                // the client's handlers hold the key handler and no copy without the ticket went through it: an app's
                // handler answered the request itself (a rate limiter's 429), and its answer counts as it is.
                if (_keyByHandler)
                {
                    _keyByHandler = false;
                    Log.ApiKeyHandlerMissing(_logger);
                }

                throw new HttpRequestException("The request was sent without the API key: the handler that adds it was not in the HttpClient's handlers.");
            }

            await KeepAnswerAsync(response, _protocol.AnswerBytesToRead((int)response.StatusCode), cancellationToken, state.Stopping).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }

    private static readonly Action<object?> CloseQuietly = static stream =>
    {
        try
        {
            ((IDisposable)stream!).Dispose();
        }
#pragma warning disable CA1031 // A cancellation callback: what it throws would be thrown by whoever cancelled.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    };

    private static void AbandonedSend(Task sent)
    {
        if (sent.IsFaulted)
        {
            _ = sent.Exception;
        }
        else if (sent.Status == TaskStatus.RanToCompletion)
        {
            ((Task<HttpResponseMessage>)sent).Result.Dispose();
        }
    }

    /// <summary>
    /// Replaces the answer's body with at most <paramref name="maxBytes"/> of it, read now; the rest is never read (the
    /// handler drains a short rest to reuse the connection, or closes it). An answer of any size, or one that never
    /// ends, costs at most that much memory, and no more time than the attempt's timeout. The status line and headers
    /// have come, so the answer is what its status says: a body cut short, or slower than the attempt's time
    /// (<paramref name="attempt"/> cancelled), only leaves less of it to read. Only a shutdown or the end of the batch's
    /// retry budget (<paramref name="stopping"/>) ends the attempt here.
    /// </summary>
    private static async Task KeepAnswerAsync(HttpResponseMessage response, int maxBytes, CancellationToken attempt, CancellationToken stopping)
    {
        if (response.Content is not { } original)
        {
            return;
        }

        var kept = Array.Empty<byte>();
        var length = new StrongBox<int>(0);
        if (maxBytes > 0 && original.Headers.ContentLength is not 0)
        {
            kept = new byte[original.Headers.ContentLength is { } declared && declared < maxBytes ? (int)declared : maxBytes];
            try
            {
#if NET8_0_OR_GREATER
                using var stream = await original.ReadAsStreamAsync(attempt).ConfigureAwait(false);
#else
                using var stream = await original.ReadAsStreamAsync().ConfigureAwait(false);
#endif

                // On .NET Framework the response stream ignores the token once a read has begun: closing it ends the read.
                // The close runs on the thread that cancels (an app's, in OptOut, DeleteLocalDataAsync or Dispose; a timer's
                // at the attempt's timeout): a close that fails (a drain over a broken connection) must not be thrown out of
                // that Cancel, into the app's call or onto a timer thread; the read it ends reports the failure.
                using var stop = attempt.Register(CloseQuietly, stream);
                await BoundedReads.ReadAtMostAsync(stream, kept, attempt, length).ConfigureAwait(false);
            }
            catch (Exception) when (!stopping.IsCancellationRequested)
            {
                // Less to read: what came is kept (see the summary).
            }
        }

        response.Content = new ByteArrayContent(kept, 0, length.Value);
        if (original.Headers.Contains(ContentEncoding))
        {
            // What was kept is the body as it came: a protocol that reads it needs to know its coding (REST: gzip).
            response.Content.Headers.TryAddWithoutValidation(ContentEncoding, original.Headers.GetValues(ContentEncoding));
        }

        original.Dispose();
    }
}
