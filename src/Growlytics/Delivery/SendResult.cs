namespace GrowlyticsSdk.Delivery;

/// <summary>How the last attempt at a batch ended.</summary>
internal readonly struct SendResult
{
    public SendResult(int status, string outcome)
    {
        Status = status;
        Outcome = outcome;
    }

    /// <summary>Gets the HTTP status, or 0 when no response arrived (network error, timeout, open circuit).</summary>
    public int Status { get; }

    /// <summary>Gets a short description for logs: a status code or an exception type, never a body.</summary>
    public string Outcome { get; }

    public bool IsSuccess => Status is >= 200 and < 300;
}
