using System.Diagnostics.CodeAnalysis;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk;

/// <summary>
/// Stateless updates of any customer's profile, for server code that acts on a customer other than the signed-in
/// visitor: a webhook, an admin screen, a nightly job. No session changes and nothing is held: each call is one upsert
/// for that customer id (<see cref="GrowlyticsProtocol.Rest"/>), or an <c>update</c> message with that <c>userId</c> and no
/// anonymous id (<see cref="GrowlyticsProtocol.Batch"/>). Attributes are validated at the call exactly as
/// <see cref="GrowlyticsUser.Push(IReadOnlyDictionary{string, object})"/> validates them. Thread-safe. While the client is
/// opted out (<see cref="GrowlyticsClient.OptOut"/>) updates are validated, then dropped and counted
/// (<see cref="DropReason.OptedOut"/>).
/// Get it from <see cref="Growlytics.Customers"/> or <see cref="GrowlyticsClient.Customers"/>.
/// </summary>
public sealed class GrowlyticsCustomers
{
    // The message of the trimmer's warning (IL2026) where an app calls an object overload: what to use instead.
    private const string UpdateReflectionMessage =
        "Reads the public properties of the object's runtime type by reflection, which trimming may remove (this overload "
        + "binds where the value's static type is object). In trimmed or AOT apps pass the object where its type is known at "
        + "compile time, so that the generic Update<T> overload binds and keeps its properties, or pass an "
        + "IReadOnlyDictionary<string, object?> or UserAttributes.";

    private const string UpdateAsyncReflectionMessage =
        "Reads the public properties of the object's runtime type by reflection, which trimming may remove (this overload "
        + "binds where the value's static type is object). In trimmed or AOT apps pass the object where its type is known at "
        + "compile time, so that the generic UpdateAsync<T> overload binds and keeps its properties, or pass an "
        + "IReadOnlyDictionary<string, object?> or UserAttributes.";

    private readonly GrowlyticsClient _client;

    internal GrowlyticsCustomers(GrowlyticsClient client) => _client = client;

    /// <summary>Adds or updates attributes of a customer's profile. Returns at once; a full queue drops the update and counts it.</summary>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">An anonymous object such as <c>new { plan = "pro" }</c>; its public properties are the attributes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">
    /// The customer id or an attribute breaks a rule, the object has no readable public properties, or a property getter
    /// throws (with <see cref="InvalidInputHandling.Throw"/>).
    /// </exception>
    [RequiresUnreferencedCode(UpdateReflectionMessage)]
    public void Update(string customerId, object attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)) is { } message)
        {
            _client.Enqueue(message);
        }
    }

    /// <summary>
    /// Adds or updates attributes of a customer's profile. Returns at once; a full queue drops the update and counts it.
    /// Trim- and native-AOT-safe: the public properties of <typeparamref name="T"/> are kept by the trimmer and read;
    /// dictionaries are read as dictionaries.
    /// </summary>
    /// <typeparam name="T">
    /// The attributes' type as known at compile time, such as an anonymous type. Its public instance properties are the
    /// attributes (properties that only a derived type declares are not read, as with <c>JsonSerializer.Serialize&lt;T&gt;</c>;
    /// for an interface, those of the interfaces it extends are read too, though trimmed and native AOT apps keep only its own; for <see cref="object"/>, the object's own type, as the object overload reads it).
    /// </typeparam>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">An object such as <c>new { plan = "pro" }</c>. <see langword="null"/> property values are skipped; when none is left, nothing is sent or counted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">
    /// The customer id or an attribute breaks a rule, the object has no readable public properties, or a property getter
    /// throws (with <see cref="InvalidInputHandling.Throw"/>).
    /// </exception>
    public void Update<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(string customerId, [DisallowNull] T attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)) is { } message)
        {
            _client.Enqueue(message);
        }
    }

    /// <summary>Adds or updates attributes of a customer's profile. Returns at once; a full queue drops the update and counts it.</summary>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">Attribute names and values. <see langword="null"/> values are skipped; when none is left, nothing is sent or counted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">The customer id or an attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>).</exception>
    public void Update(string customerId, IReadOnlyDictionary<string, object?> attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)) is { } message)
        {
            _client.Enqueue(message);
        }
    }

    /// <summary>Adds or updates attributes of a customer's profile. Returns at once; a full queue drops the update and counts it.</summary>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">The reserved and custom attributes. <see langword="null"/> values are skipped; when none is left, nothing is sent or counted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">The customer id or an attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>).</exception>
    public void Update(string customerId, UserAttributes attributes)
    {
        ThrowIfNull(attributes, nameof(attributes));
        if (TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)) is { } message)
        {
            _client.Enqueue(message);
        }
    }

    /// <summary>
    /// Adds or updates attributes of a customer's profile, waiting for room in the queue instead of dropping when it is full
    /// (for jobs that update thousands of customers); with <see cref="GrowlyticsOptions.StorageDirectory"/>, also while the
    /// folder is full, rather than have older stored messages dropped to take the update (so a job runs at the pace of
    /// delivery, and waits during an outage once memory and the folder are full). Completes when the update is accepted into the queue, not when it is
    /// delivered: call <see cref="GrowlyticsClient.FlushAsync"/> for that.
    /// </summary>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">An anonymous object such as <c>new { plan = "pro" }</c>; its public properties are the attributes.</param>
    /// <param name="cancellationToken">Stops waiting for room; the update is then not queued.</param>
    /// <returns>
    /// A task that completes when the update is queued; at once when the call is invalid and dropped, or when the client has
    /// shut down (the update is then counted as dropped, <see cref="DropReason.Shutdown"/>, and a loop that relies on this
    /// call to pace itself no longer waits). A call still waiting for room when the client starts shutting down, opts out
    /// or has its API key refused completes the same way, counted as dropped with that reason (check
    /// <see cref="GrowlyticsClient.Statistics"/> or <see cref="GrowlyticsClient.MessageDropped"/> to tell).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">
    /// The customer id or an attribute breaks a rule, the object has no readable public properties, or a property getter
    /// throws (with <see cref="InvalidInputHandling.Throw"/>), thrown at the call.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the update was queued.</exception>
    [RequiresUnreferencedCode(UpdateAsyncReflectionMessage)]
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in the type of a required parameter, as Push's do; the optional token is last in each, as the Azure guidelines ask.")]
    public ValueTask UpdateAsync(string customerId, object attributes, CancellationToken cancellationToken = default)
    {
        ThrowIfNull(attributes, nameof(attributes));
        return EnqueueAsync(TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)), cancellationToken);
    }

    /// <summary>
    /// Adds or updates attributes of a customer's profile, waiting for room in the queue instead of dropping when it is full
    /// (for jobs that update thousands of customers); with <see cref="GrowlyticsOptions.StorageDirectory"/>, also while the
    /// folder is full, rather than have older stored messages dropped to take the update (so a job runs at the pace of
    /// delivery, and waits during an outage once memory and the folder are full). Completes when the update is accepted into the queue, not when it is
    /// delivered: call <see cref="GrowlyticsClient.FlushAsync"/> for that. Trim- and native-AOT-safe, like
    /// <see cref="Update{T}(string, T)"/>; dictionaries are read as dictionaries.
    /// </summary>
    /// <typeparam name="T">
    /// The attributes' type as known at compile time, such as an anonymous type; its public instance properties are the
    /// attributes (for an interface, those of the interfaces it extends too, though trimmed and native AOT apps keep only its own; for <see cref="object"/>, the object's own type, as the object overload reads it).
    /// </typeparam>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">An object such as <c>new { plan = "pro" }</c>. <see langword="null"/> property values are skipped; when none is left, nothing is sent or counted.</param>
    /// <param name="cancellationToken">Stops waiting for room; the update is then not queued.</param>
    /// <returns>
    /// A task that completes when the update is queued; at once when the call is invalid and dropped, or when the client has
    /// shut down (the update is then counted as dropped, <see cref="DropReason.Shutdown"/>, and a loop that relies on this
    /// call to pace itself no longer waits). A call still waiting for room when the client starts shutting down, opts out
    /// or has its API key refused completes the same way, counted as dropped with that reason (check
    /// <see cref="GrowlyticsClient.Statistics"/> or <see cref="GrowlyticsClient.MessageDropped"/> to tell).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">
    /// The customer id or an attribute breaks a rule, the object has no readable public properties, or a property getter
    /// throws (with <see cref="InvalidInputHandling.Throw"/>), thrown at the call.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the update was queued.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in the type of a required parameter, as Push's do; the optional token is last in each, as the Azure guidelines ask.")]
    public ValueTask UpdateAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(string customerId, [DisallowNull] T attributes, CancellationToken cancellationToken = default)
    {
        ThrowIfNull(attributes, nameof(attributes));
        return EnqueueAsync(TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)), cancellationToken);
    }

    /// <summary>
    /// Adds or updates attributes of a customer's profile, waiting for room in the queue instead of dropping when it is full
    /// (for jobs that update thousands of customers); with <see cref="GrowlyticsOptions.StorageDirectory"/>, also while the
    /// folder is full, rather than have older stored messages dropped to take the update (so a job runs at the pace of
    /// delivery, and waits during an outage once memory and the folder are full). Completes when the update is accepted into the queue, not when it is
    /// delivered: call <see cref="GrowlyticsClient.FlushAsync"/> for that.
    /// </summary>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">Attribute names and values. <see langword="null"/> values are skipped; when none is left, nothing is sent or counted.</param>
    /// <param name="cancellationToken">Stops waiting for room; the update is then not queued.</param>
    /// <returns>
    /// A task that completes when the update is queued; at once when the call is invalid and dropped, or when the client has
    /// shut down (the update is then counted as dropped, <see cref="DropReason.Shutdown"/>, and a loop that relies on this
    /// call to pace itself no longer waits). A call still waiting for room when the client starts shutting down, opts out
    /// or has its API key refused completes the same way, counted as dropped with that reason (check
    /// <see cref="GrowlyticsClient.Statistics"/> or <see cref="GrowlyticsClient.MessageDropped"/> to tell).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">The customer id or an attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>), thrown at the call.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the update was queued.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in the type of a required parameter, as Push's do; the optional token is last in each, as the Azure guidelines ask.")]
    public ValueTask UpdateAsync(string customerId, IReadOnlyDictionary<string, object?> attributes, CancellationToken cancellationToken = default)
    {
        ThrowIfNull(attributes, nameof(attributes));
        return EnqueueAsync(TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)), cancellationToken);
    }

    /// <summary>
    /// Adds or updates attributes of a customer's profile, waiting for room in the queue instead of dropping when it is full
    /// (for jobs that update thousands of customers); with <see cref="GrowlyticsOptions.StorageDirectory"/>, also while the
    /// folder is full, rather than have older stored messages dropped to take the update (so a job runs at the pace of
    /// delivery, and waits during an outage once memory and the folder are full). Completes when the update is accepted into the queue, not when it is
    /// delivered: call <see cref="GrowlyticsClient.FlushAsync"/> for that.
    /// </summary>
    /// <param name="customerId">Your app's id for the customer: a non-blank string of at most 40 characters.</param>
    /// <param name="attributes">The reserved and custom attributes. <see langword="null"/> values are skipped; when none is left, nothing is sent or counted.</param>
    /// <param name="cancellationToken">Stops waiting for room; the update is then not queued.</param>
    /// <returns>
    /// A task that completes when the update is queued; at once when the call is invalid and dropped, or when the client has
    /// shut down (the update is then counted as dropped, <see cref="DropReason.Shutdown"/>, and a loop that relies on this
    /// call to pace itself no longer waits). A call still waiting for room when the client starts shutting down, opts out
    /// or has its API key refused completes the same way, counted as dropped with that reason (check
    /// <see cref="GrowlyticsClient.Statistics"/> or <see cref="GrowlyticsClient.MessageDropped"/> to tell).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    /// <exception cref="GrowlyticsValidationException">The customer id or an attribute breaks a rule (with <see cref="InvalidInputHandling.Throw"/>), thrown at the call.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the update was queued.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in the type of a required parameter, as Push's do; the optional token is last in each, as the Azure guidelines ask.")]
    public ValueTask UpdateAsync(string customerId, UserAttributes attributes, CancellationToken cancellationToken = default)
    {
        ThrowIfNull(attributes, nameof(attributes));
        return EnqueueAsync(TryCreate(customerId, attributes, static (a, limits) => AttributeReader.Read(a, limits)), cancellationToken);
    }

    private static void ThrowIfNull(object? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentNullException(name);
        }
    }

    private ValueTask EnqueueAsync(UserMessage? message, CancellationToken cancellationToken) =>
        message is null ? default : _client.EnqueueAsync(message, cancellationToken);

    // Null when there is nothing to queue: an invalid call dropped (InvalidInputHandling.Drop), or only null values.
    private UserMessage? TryCreate<T>(string customerId, T attributes, Func<T, AttributeLimits, UserAttribute[]> read)
    {
        if (!AttributeCalls.CheckUserId(_client, customerId, nameof(customerId))
            || !AttributeCalls.TryRead(_client, attributes, read, out var validated)
            || validated.Length == 0)
        {
            return null;
        }

        return _client.MessagePool.Rent(MessageType.Update, MessageIds.Next(), _client.TimeProvider.GetUtcNow(), anonymousId: null, customerId, validated);
    }
}
