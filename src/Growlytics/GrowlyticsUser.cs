using System.Diagnostics.CodeAnalysis;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk;

/// <summary>
/// One user session: an anonymous id from its start and, after <see cref="Identify(string)"/>, a user id.
/// <see cref="Push(IReadOnlyDictionary{string, object})"/> updates the current profile,
/// <see cref="Identify(string)"/> logs the session in and <see cref="Logout"/> logs it out.
/// Thread-safe. Every method validates its input at the call, then queues a message without blocking
/// and without I/O.
/// </summary>
/// <remarks>
/// With <see cref="GrowlyticsProtocol.Rest"/> (Growlytics' customer API, which has no anonymous profiles) a push while
/// anonymous is held with the session, merged by attribute name, and sent with the login as part of one upsert for the
/// user (several, in order, when the login's and the held attributes together are more than the 100 a request carries);
/// <see cref="Logout"/> sends nothing. See docs/wire-protocol.md for the whole mapping.
/// <para>
/// While the client is opted out (<see cref="GrowlyticsClient.OptOut"/>) every call is still validated, then sends and
/// holds nothing and is counted as dropped (<see cref="DropReason.OptedOut"/>; a REST logout, which sends nothing anyway,
/// is not counted unless the client's shutdown has begun: see <see cref="Logout"/>). The one session change made then:
/// <see cref="Logout"/>, or <c>Identify</c> of another user, ends the identified user's session
/// (a new anonymous id, and no user id: the new user is not kept, so call <c>Identify</c> again after
/// <see cref="GrowlyticsClient.OptIn"/>), so that no later call reaches the profile of a user who left meanwhile.
/// Once the client's shutdown has stopped accepting messages, a call likewise changes nothing and is counted as dropped
/// (<see cref="DropReason.Shutdown"/>).
/// </para>
/// </remarks>
public sealed partial class GrowlyticsUser
{
    // The message of the trimmer's warning (IL2026) where an app calls an object overload: what to use instead.
    private const string PushReflectionMessage =
        "Reads the public properties of the object's runtime type by reflection, which trimming may remove (this overload "
        + "binds where the value's static type is object). In trimmed or AOT apps pass the object where its type is known at "
        + "compile time, so that the generic Push<T> overload binds and keeps its properties, or pass an "
        + "IReadOnlyDictionary<string, object?> or UserAttributes.";

    private const string IdentifyReflectionMessage =
        "Reads the public properties of the object's runtime type by reflection, which trimming may remove (this overload "
        + "binds where the value's static type is object). In trimmed or AOT apps pass the object where its type is known at "
        + "compile time, so that the generic Identify<T> overload binds and keeps its properties, or pass an "
        + "IReadOnlyDictionary<string, object?> or UserAttributes.";

    private readonly GrowlyticsClient _client;
    private readonly object _gate = new();
    private string _anonymousId;
    private string? _userId;

    // REST, process-wide session: the attributes pushed while anonymous, held here (and in the session file) for the
    // login. Scoped sessions hold theirs in the client's store, by anonymous id, so a later request can log the visitor in.
    private HeldAttributes? _processHeld;

    // A scope that continues a visitor known from outside (a cookie, a header): an anonymous Logout still rotates its id.
    private bool _continued;

    internal GrowlyticsUser(GrowlyticsClient client, string anonymousId, string? userId, HeldAttributes? processHeld = null)
    {
        _client = client;
        _anonymousId = anonymousId;
        _userId = userId;
        _processHeld = processHeld;
    }

    /// <summary>
    /// Gets the anonymous id of this session. It changes when the user logs out, when another user is identified, and when
    /// the local data is deleted (<see cref="GrowlyticsClient.DeleteLocalDataAsync"/>); and, for the process-wide session
    /// of a client that found its <see cref="GrowlyticsOptions.StorageDirectory"/> held by another instance of the app,
    /// when it takes the folder over with its session unchanged since its start: it continues the session that instance
    /// left there.
    /// </summary>
    public string AnonymousId => Volatile.Read(ref _anonymousId);

    /// <summary>Gets the id of the identified user.</summary>
    /// <value><see langword="null"/> while the session is anonymous.</value>
    public string? UserId => Volatile.Read(ref _userId);

    /// <summary>Gets a value indicating whether a user is logged in on this session.</summary>
    public bool IsIdentified => UserId is not null;

    /// <summary>Adds or updates attributes of the current profile (the identified user, else the anonymous one).</summary>
    /// <param name="attributes">An anonymous object such as <c>new { city = "San Francisco" }</c>; its public properties are the attributes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">An attribute breaks a rule, the object has no readable public properties, or a property getter throws (with <see cref="InvalidInputHandling.Throw"/>). With <see cref="GrowlyticsProtocol.Rest"/>, also when an anonymous session would hold more distinct attributes for the login than the protocol allows.</exception>
    [RequiresUnreferencedCode(PushReflectionMessage)]
    public void Push(object attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (AttributeCalls.TryRead(_client, attributes, static (a, limits) => AttributeReader.Read(a, limits), out var read))
        {
            Update(read);
        }
    }

    /// <summary>
    /// Adds or updates attributes of the current profile (the identified user, else the anonymous one). Trim- and
    /// native-AOT-safe: the public properties of <typeparamref name="T"/> are kept by the trimmer and read; dictionaries
    /// are read as dictionaries.
    /// </summary>
    /// <typeparam name="T">
    /// The attributes' type as known at compile time, such as an anonymous type. Its public instance properties are the
    /// attributes (properties that only a derived type declares are not read, as with <c>JsonSerializer.Serialize&lt;T&gt;</c>;
    /// for an interface, those of the interfaces it extends are read too, though trimmed and native AOT apps keep only its own; for <see cref="object"/>, the object's own type, as the object overload reads it).
    /// </typeparam>
    /// <param name="attributes">An object such as <c>new { city = "San Francisco" }</c>. <see langword="null"/> property values are skipped.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">
    /// An attribute breaks a rule, the object has no readable public properties, or a property getter throws (with
    /// <see cref="InvalidInputHandling.Throw"/>). With <see cref="GrowlyticsProtocol.Rest"/>, also when an anonymous session would hold more distinct attributes for the login than the protocol allows.
    /// </exception>
    public void Push<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>([DisallowNull] T attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (AttributeCalls.TryRead(_client, attributes, static (a, limits) => AttributeReader.Read(a, limits), out var read))
        {
            Update(read);
        }
    }

    /// <summary>Adds or updates attributes of the current profile (the identified user, else the anonymous one).</summary>
    /// <param name="attributes">Attribute names and values. <see langword="null"/> values are skipped.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">An attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>). With <see cref="GrowlyticsProtocol.Rest"/>, also when an anonymous session would hold more distinct attributes for the login than the protocol allows.</exception>
    public void Push(IReadOnlyDictionary<string, object?> attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (AttributeCalls.TryRead(_client, attributes, static (a, limits) => AttributeReader.Read(a, limits), out var read))
        {
            Update(read);
        }
    }

    /// <summary>Adds or updates attributes of the current profile (the identified user, else the anonymous one).</summary>
    /// <param name="attributes">The reserved and custom attributes. <see langword="null"/> values are skipped.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">An attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>). With <see cref="GrowlyticsProtocol.Rest"/>, also when an anonymous session would hold more distinct attributes for the login than the protocol allows.</exception>
    public void Push(UserAttributes attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (AttributeCalls.TryRead(_client, attributes, static (a, limits) => AttributeReader.Read(a, limits), out var read))
        {
            Update(read);
        }
    }

    /// <summary>
    /// Logs this session in as <paramref name="userId"/>. If another user is logged in, that user is logged
    /// out first (so their profile never receives this user's data) and a warning is logged.
    /// Identifying the same user again is an attribute update.
    /// </summary>
    /// <param name="userId">Your app's id for the user: a non-blank string of at most 40 characters.</param>
    /// <exception cref="GrowlyticsValidationException"><paramref name="userId"/> is <see langword="null"/>, blank, too long or not valid UTF-16 text (with <see cref="InvalidInputHandling.Throw"/>).</exception>
    public void Identify(string userId)
    {
        if (AttributeCalls.CheckUserId(_client, userId))
        {
            Login(userId, []);
        }
    }

    /// <summary>Logs this session in as <paramref name="userId"/> and sets attributes on that user's profile.</summary>
    /// <param name="userId">Your app's id for the user: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">An anonymous object whose public properties are the attributes, or <see langword="null"/>.</param>
    /// <exception cref="GrowlyticsValidationException">
    /// The user id or an attribute breaks a rule, the object has no readable public properties, or a property getter
    /// throws (with <see cref="InvalidInputHandling.Throw"/>).
    /// </exception>
    /// <seealso cref="Identify(string)"/>
    [RequiresUnreferencedCode(IdentifyReflectionMessage)]
    public void Identify(string userId, object? attributes)
    {
        if (AttributeCalls.CheckUserId(_client, userId)
            && AttributeCalls.TryRead(_client, attributes, static (a, limits) => a is null ? [] : AttributeReader.Read(a, limits), out var read))
        {
            Login(userId, read);
        }
    }

    /// <summary>
    /// Logs this session in as <paramref name="userId"/> and sets attributes on that user's profile. Trim- and
    /// native-AOT-safe, like <see cref="Push{T}(T)"/>.
    /// </summary>
    /// <typeparam name="T">
    /// The attributes' type as known at compile time, such as an anonymous type; its public instance properties are the
    /// attributes (for an interface, those of the interfaces it extends too, though trimmed and native AOT apps keep only its own; for <see cref="object"/>, the object's own type, as the object overload reads it).
    /// </typeparam>
    /// <param name="userId">Your app's id for the user: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">An object such as <c>new { plan = "pro" }</c>, or <see langword="null"/>.</param>
    /// <exception cref="GrowlyticsValidationException">
    /// The user id or an attribute breaks a rule, the object has no readable public properties, or a property getter
    /// throws (with <see cref="InvalidInputHandling.Throw"/>).
    /// </exception>
    /// <seealso cref="Identify(string)"/>
    public void Identify<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(string userId, T? attributes)
    {
        if (AttributeCalls.CheckUserId(_client, userId)
            && AttributeCalls.TryRead(_client, attributes, static (a, limits) => a is null ? [] : AttributeReader.Read(a, limits), out var read))
        {
            Login(userId, read);
        }
    }

    /// <summary>Logs this session in as <paramref name="userId"/> and sets attributes on that user's profile.</summary>
    /// <param name="userId">Your app's id for the user: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">Attribute names and values, or <see langword="null"/>.</param>
    /// <exception cref="GrowlyticsValidationException">The user id or an attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>).</exception>
    /// <seealso cref="Identify(string)"/>
    public void Identify(string userId, IReadOnlyDictionary<string, object?>? attributes)
    {
        if (AttributeCalls.CheckUserId(_client, userId)
            && AttributeCalls.TryRead(_client, attributes, static (a, limits) => a is null ? [] : AttributeReader.Read(a, limits), out var read))
        {
            Login(userId, read);
        }
    }

    /// <summary>Logs this session in as <paramref name="userId"/> and sets attributes on that user's profile.</summary>
    /// <param name="userId">Your app's id for the user: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">The reserved and custom attributes, or <see langword="null"/>.</param>
    /// <exception cref="GrowlyticsValidationException">The user id or an attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>).</exception>
    /// <seealso cref="Identify(string)"/>
    public void Identify(string userId, UserAttributes? attributes)
    {
        if (AttributeCalls.CheckUserId(_client, userId)
            && AttributeCalls.TryRead(_client, attributes, static (a, limits) => a is null ? [] : AttributeReader.Read(a, limits), out var read))
        {
            Login(userId, read);
        }
    }

    /// <summary>
    /// Logs the identified user out and starts a fresh anonymous profile (a new <see cref="AnonymousId"/>).
    /// Does nothing when no user is logged in, except in a scope that continues a known visitor
    /// (<see cref="GrowlyticsClient.BeginScope(string, string)"/> with an anonymous id, as the ASP.NET Core middleware opens
    /// from its cookie or header), where the session may have been logged in by an earlier request: there it starts a fresh
    /// anonymous id, sending nothing, and (REST) drops what was held for the old one (<see cref="DropReason.AnonymousExpired"/>). With <see cref="GrowlyticsProtocol.Rest"/> nothing is sent (the REST API has
    /// no logout); the new anonymous session starts with no held attributes.
    /// </summary>
    /// <remarks>
    /// While the client is opted out (<see cref="GrowlyticsClient.OptOut"/>) nothing is sent, but the session still ends
    /// here (a new anonymous id, saved to the session file), so that calls after <see cref="GrowlyticsClient.OptIn"/> never
    /// reach the profile of a user who logged out meanwhile; with <see cref="GrowlyticsProtocol.Batch"/> the logout is
    /// counted as dropped (<see cref="DropReason.OptedOut"/>). After the client has shut down the call changes nothing
    /// and is counted as dropped (<see cref="DropReason.Shutdown"/>, or <see cref="DropReason.OptedOut"/> while opted
    /// out).
    /// </remarks>
    public void Logout()
    {
        lock (_gate)
        {
            if (_userId is null)
            {
                if (_continued && !_client.IsShutDown)
                {
                    // A request that continues a visitor (the middleware's cookie or header) starts anonymous unless the
                    // request is authenticated, so "nobody identified" here does not mean nobody logged in: an app without
                    // authentication identifies in one request and logs out in a later one. The id the login used must
                    // not carry on to the next user of that browser (with REST, pushes held for it would reach that user's
                    // login): a fresh one, which the middleware writes back, and what was held for the old one is dropped
                    // (a tab that still sends the old id must not bring it to another login). Nothing is sent.
                    _client.HeldStore?.Discard(_anonymousId);
                    Volatile.Write(ref _anonymousId, AnonymousIds.New());
                }

                return;
            }

            if (_client.IsOptedOut && !_client.IsShutDown)
            {
                // A REST logout sends nothing (and is not counted); a batch one is counted as refused, unless the client
                // opted back in meanwhile: an ordinary logout then, below.
                if (_client.Protocol == GrowlyticsProtocol.Rest || _client.CountIfRefused())
                {
                    EndSessionWhileOptedOutLocked();
                    return;
                }
            }
            else if (_client.CountIfRefused())
            {
                return;
            }

            LogoutLocked();

            // Inside the lock, so concurrent changes reach the session file in the order they happened (Save does no I/O).
            // Saved even if an opt-out began since the check above: the logout came first, and a file left with the user
            // brought them back at the next start.
            _client.OnSessionChanged(this, evenIfOptedOut: true, afterQueued: true);
        }
    }

    private static void ThrowIfNull(object? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentNullException(name);
        }
    }
}
