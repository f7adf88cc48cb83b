namespace Ferry.IdentityService.Vendors.Zendesk;

/// <summary>
/// Counts the HTTP requests to Zendesk made inside a scope (one resolve), retries included:
/// the "Zendesk calls per resolve" figure.
/// </summary>
public sealed class ZendeskCallCounter : IDisposable
{
    private static readonly AsyncLocal<ZendeskCallCounter?> CurrentScope = new();
    private readonly ZendeskCallCounter? _parent;
    private int _count;

    private ZendeskCallCounter()
    {
        _parent = CurrentScope.Value;
        CurrentScope.Value = this;
    }

    public int Count => Volatile.Read(ref _count);

    public static ZendeskCallCounter Begin() => new();

    internal static void Increment()
    {
        if (CurrentScope.Value is { } scope)
        {
            Interlocked.Increment(ref scope._count);
        }
    }

    public void Dispose() => CurrentScope.Value = _parent;
}

/// <summary>Innermost handler of the Zendesk client: every attempt that goes on the wire is counted.</summary>
public sealed class ZendeskCallCountingHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ZendeskCallCounter.Increment();
        return base.SendAsync(request, cancellationToken);
    }
}
