using Grpc.Core;

namespace Ferry.ServiceDefaults.Grpc;

/// <summary>A service's own failures and their status; null for the ones it leaves to <see cref="ErrorMappingInterceptor"/>.</summary>
public interface IGrpcErrorMap
{
    Status? ToStatus(Exception exception);
}
