namespace GrowlyticsSdk.Testing;

/// <summary>What a recorded call did, as the SDK sent it.</summary>
public enum RecordedCallType
{
    /// <summary>
    /// Attributes set on a profile (<c>Push</c>, <c>Identify</c> of the user already logged in, or <c>Customers.Update</c>).
    /// Batch protocol.
    /// </summary>
    Update,

    /// <summary>A session logged in as a user (<c>Identify</c>), with its attributes. Batch protocol.</summary>
    Login,

    /// <summary>A user logged out (<c>Logout</c>, or <c>Identify</c> of another user). Batch protocol.</summary>
    Logout,

    /// <summary>
    /// One customer's attributes upserted (REST protocol): what <c>Identify</c>, an identified <c>Push</c> and
    /// <c>Customers.Update</c> send. The REST API has no logout and no anonymous profile.
    /// </summary>
    CustomerUpsert,
}
