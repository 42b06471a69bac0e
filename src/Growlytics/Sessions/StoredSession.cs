using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Sessions;

/// <summary>The process-wide session as the session file keeps it.</summary>
/// <param name="AnonymousId">The anonymous id.</param>
/// <param name="UserId">The logged-in user, or <see langword="null"/>.</param>
/// <param name="Held">REST: the anonymous attributes held for the login (empty otherwise).</param>
/// <param name="HeldCalls">How many pushes <paramref name="Held"/> came from.</param>
internal sealed record StoredSession(string AnonymousId, string? UserId, UserAttribute[] Held, int HeldCalls);
