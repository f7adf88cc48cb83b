using Ferry.ServiceDefaults.Grpc;
using Ferry.TicketService.Vendors;
using Grpc.Core;

namespace Ferry.TicketService.Api;

/// <summary>Vendor failures in words a caller of the Sync API can act on (the rest: <see cref="ErrorMappingInterceptor"/>).</summary>
public sealed class TicketErrorMap : IGrpcErrorMap
{
    public Status? ToStatus(Exception exception) => exception switch
    {
        VendorRateLimitedException limited => new Status(StatusCode.Unavailable, $"{limited.Vendor} is rate limiting Ferry; retry after {limited.RetryAfter.TotalSeconds:0} s."),
        VendorException { IsTransient: true } vendor => new Status(StatusCode.Unavailable, $"{vendor.Vendor} is failing ({(int)vendor.Status}); retry shortly."),
        _ => null,
    };
}
