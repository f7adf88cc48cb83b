namespace Ferry.ServiceDefaults.Vendors;

/// <summary>
/// A vendor call failed. Transient failures (rate limits, 5xx, timeouts, no connection) are worth retrying
/// later; the others need the settings or the data fixed first.
/// </summary>
public abstract class VendorFailureException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract bool IsTransient { get; }
}
