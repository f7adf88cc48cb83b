namespace Ferry.TicketService.Vendors;

/// <summary>Counts the vendor HTTP calls (and among them the writes) made inside one attempt; flows with the async context.</summary>
public sealed class VendorCalls
{
    private static readonly AsyncLocal<VendorCalls?> CurrentScope = new();
    private int _count;
    private int _writes;

    public int Count => _count;

    /// <summary>Calls that may change vendor state (anything but GET and HEAD).</summary>
    public int Writes => _writes;

    public static VendorCalls Begin() => CurrentScope.Value = new VendorCalls();

    public static void Add(HttpMethod method)
    {
        if (CurrentScope.Value is { } scope)
        {
            Interlocked.Increment(ref scope._count);
            if (method != HttpMethod.Get && method != HttpMethod.Head)
            {
                Interlocked.Increment(ref scope._writes);
            }
        }
    }

    /// <summary>Put on every vendor HTTP client: one count per request that went out (retries included).</summary>
    public sealed class CountingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Add(request.Method);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
