namespace Ferry.TicketService.Vendors;

/// <summary>Counts the vendor HTTP calls made inside one attempt (flows with the async context).</summary>
public sealed class VendorCalls
{
    private static readonly AsyncLocal<VendorCalls?> CurrentScope = new();
    private int _count;

    public int Count => _count;

    public static VendorCalls Begin() => CurrentScope.Value = new VendorCalls();

    public static void Add(int calls = 1)
    {
        if (CurrentScope.Value is { } scope)
        {
            Interlocked.Add(ref scope._count, calls);
        }
    }

    /// <summary>Put on every vendor HTTP client: one count per request that went out (retries included).</summary>
    public sealed class CountingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Add();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
