using Ferry.IdentityService.Matching;
using Ferry.ServiceDefaults.Grpc;
using Grpc.Core;

namespace Ferry.IdentityService.Api;

/// <summary>Matching's failures as status codes, and what a caller should do about a Zendesk failure.</summary>
public sealed class IdentityErrorMap : IGrpcErrorMap
{
    public Status? ToStatus(Exception exception) => exception switch
    {
        LinkNotFoundException => new Status(StatusCode.NotFound, exception.Message),
        MatchPreconditionException => new Status(StatusCode.FailedPrecondition, exception.Message),
        ZendeskException { IsTransient: true } => new Status(StatusCode.Unavailable, exception.Message + " Retry later; nothing was linked."),
        ZendeskException => new Status(StatusCode.FailedPrecondition, exception.Message + " Check the Zendesk settings and the contact's data."),
        _ => null,
    };
}
