using Ferry.ServiceDefaults.Vendors;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ferry.ServiceDefaults.Grpc;

/// <summary>
/// Turns failures into status codes a caller can act on, never an opaque Unknown: the service's own
/// <see cref="IGrpcErrorMap"/> first (its precise messages), then what every service shares — invalid
/// requests are InvalidArgument, a down database or vendor is Unavailable (retry later), a vendor that
/// refuses is FailedPrecondition (settings or data need fixing).
/// </summary>
public sealed partial class ErrorMappingInterceptor(IEnumerable<IGrpcErrorMap> maps, ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(() => continuation(request, context), context);

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(() => continuation(requestStream, context), context);

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        }, context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        }, context);

    private async Task<T> GuardAsync<T>(Func<Task<T>> call, ServerCallContext context)
    {
        try
        {
            return await call();
        }
        // A cancelled call ends as Cancelled whatever was thrown on the way out.
        catch (Exception exception) when (exception is not RpcException && !context.CancellationToken.IsCancellationRequested && Map(exception) is { } status)
        {
            LogMapped(logger, context.Method, status.StatusCode, exception);
            throw new RpcException(status);
        }
    }

    private Status? Map(Exception exception) =>
        maps.Select(map => map.ToStatus(exception)).FirstOrDefault(status => status is not null) ?? exception switch
        {
            InvalidRequestException => new Status(StatusCode.InvalidArgument, exception.Message),
            VendorFailureException { IsTransient: true } => new Status(StatusCode.Unavailable, exception.Message),
            VendorFailureException => new Status(StatusCode.FailedPrecondition, exception.Message),
            NpgsqlException => new Status(StatusCode.Unavailable, "The service's database is unreachable; retry shortly."),
            HttpRequestException http => new Status(StatusCode.Unavailable, $"A vendor API is unreachable: {http.Message}"),
            _ => null,
        };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} answered {Status}")]
    private static partial void LogMapped(ILogger logger, string method, StatusCode status, Exception exception);
}
