namespace GrowlyticsSdk.Messages;

/// <summary>The kind of a user message, written as the wire <c>type</c> field.</summary>
internal enum MessageType : byte
{
    /// <summary>Attributes for the current profile (anonymous or identified).</summary>
    Update,

    /// <summary>The session logs in as a user id; carries the anonymous id so the profiles can be merged.</summary>
    Login,

    /// <summary>The identified user logs out.</summary>
    Logout,
}
