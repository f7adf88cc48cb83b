using Ferry.TicketService.Vendors;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Npgsql;

namespace Ferry.TicketService.Api;

/// <summary>
/// Turns infrastructure failures into status codes a caller can act on: a down database or vendor is
/// Unavailable (retry later), never an opaque Unknown.
/// </summary>
public sealed partial class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    private RpcException? Map(Exception exception, ServerCallContext context)
    {
        RpcException? mapped = exception switch
        {
            NpgsqlException => new RpcException(new Status(StatusCode.Unavailable, "The sync database is unreachable; retry shortly.")),
            VendorRateLimitedException limited => new RpcException(new Status(StatusCode.Unavailable, $"{limited.Vendor} is rate limiting Ferry; retry after {limited.RetryAfter.TotalSeconds:0} s.")),
            VendorException { IsTransient: true } vendor => new RpcException(new Status(StatusCode.Unavailable, $"{vendor.Vendor} is failing ({(int)vendor.Status}); retry shortly.")),
            VendorException vendor => new RpcException(new Status(StatusCode.FailedPrecondition, vendor.Message)),
            HttpRequestException http => new RpcException(new Status(StatusCode.Unavailable, $"A vendor API is unreachable: {http.Message}")),
            _ => null,
        };
        if (mapped is not null)
        {
            LogMapped(logger, context.Method, mapped.StatusCode, exception);
        }

        return mapped;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} answered {Status}")]
    private static partial void LogMapped(ILogger logger, string method, StatusCode status, Exception exception);
}
