using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk;

// The calls' shared path once their input is validated: an update, a login (with a logout first when another user is
// logged in), a logout, each queued as one message under the session's lock.
public sealed partial class GrowlyticsUser
{
    private void Update(UserAttribute[] attributes)
    {
        if (attributes.Length == 0)
        {
            // Nothing left to say once null values are skipped: no message.
            return;
        }

        lock (_gate)
        {
            if (_client.CountIfOptedOut())
            {
                return;
            }

            if (_userId is null && _client.Protocol == GrowlyticsProtocol.Rest)
            {
                // The REST API has no anonymous profiles: the attributes wait for the login.
                HoldLocked(attributes);
                return;
            }

            Enqueue(MessageType.Update, _userId, attributes);
        }
    }

    private void Login(string userId, UserAttribute[] attributes)
    {
        var switchedUser = false;
        lock (_gate)
        {
            if (string.Equals(_userId, userId, StringComparison.Ordinal))
            {
                // Same user again: an attribute update, not a new login.
                if (attributes.Length > 0)
                {
                    Enqueue(MessageType.Update, userId, attributes);
                }

                return;
            }

            var optedOut = _client.IsOptedOut;
            if (_client.CountIfRefused())
            {
                // Opted out: nothing is sent, but another user's login ends the identified user's session here, so that
                // calls after OptIn never reach that user's profile (the new user is not kept: Identify again after
                // OptIn). Shut down: the session stays as it was.
                if (_userId is not null && (optedOut || _client.IsOptedOut) && !_client.IsShutDown)
                {
                    EndSessionWhileOptedOutLocked();
                }

                return;
            }

            if (_userId is not null)
            {
                // The source document warns that identifying without a logout overwrites the previous
                // user's profile. Log them out first so their profile never receives the new user's data.
                switchedUser = true;
                LogoutLocked();
            }

            if (_client.Protocol == GrowlyticsProtocol.Rest)
            {
                SendHeldWithLoginLocked(userId, attributes);
            }
            else
            {
                Enqueue(MessageType.Login, userId, attributes);
            }

            Volatile.Write(ref _userId, userId);

            // Saved even if an opt-out began since the check above: the login came first (see Logout).
            _client.OnSessionChanged(this, evenIfOptedOut: true, afterQueued: true);
        }

        if (switchedUser)
        {
            _client.OnIdentifyWithoutLogout();
        }
    }

    /// <summary>
    /// Ends the identified user's session without sending anything (the client is opted out): a new anonymous id, saved
    /// to the session file, which then holds no user id.
    /// </summary>
    private void EndSessionWhileOptedOutLocked()
    {
        Volatile.Write(ref _userId, null);
        Volatile.Write(ref _anonymousId, AnonymousIds.New());
        _client.OnSessionChanged(this, evenIfOptedOut: true);
    }

    private void LogoutLocked()
    {
        if (_client.Protocol != GrowlyticsProtocol.Rest)
        {
            Enqueue(MessageType.Logout, _userId, []);
        }

        Volatile.Write(ref _userId, null);
        Volatile.Write(ref _anonymousId, AnonymousIds.New());
    }

    private void Enqueue(MessageType type, string? userId, UserAttribute[] attributes)
    {
        var message = _client.MessagePool.Rent(type, MessageIds.Next(), _client.TimeProvider.GetUtcNow(), _anonymousId, userId, attributes);
        _client.Enqueue(message);
    }
}
