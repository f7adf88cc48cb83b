using Ferry.ServiceDefaults.Grpc;
using Ferry.ServiceDefaults.Redis;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class GrpcExtensions
{
    /// <summary>
    /// What every Ferry gRPC service starts with, <see cref="AddFerryGrpcService(IHostApplicationBuilder)"/>, with
    /// <see cref="ErrorMappingInterceptor"/> consulting <typeparamref name="TErrorMap"/> first.
    /// </summary>
    public static IHostApplicationBuilder AddFerryGrpcService<TErrorMap>(this IHostApplicationBuilder builder)
        where TErrorMap : class, IGrpcErrorMap
    {
        builder.Services.AddSingleton<IGrpcErrorMap, TErrorMap>();
        return builder.AddFerryGrpcService();
    }

    /// <summary>
    /// What every Ferry gRPC service starts with: Redis (<see cref="RedisExtensions.AddFerryRedis"/>); a gRPC server
    /// with health (grpc.health.v1, mirroring the ASP.NET health checks), reflection and
    /// <see cref="ErrorMappingInterceptor"/> (shared mappings only); the system clock, unless a test put in its own.
    /// </summary>
    public static IHostApplicationBuilder AddFerryGrpcService(this IHostApplicationBuilder builder)
    {
        builder.AddFerryRedis();
        builder.Services.AddGrpc(options =>
        {
            options.EnableDetailedErrors = false;
            options.Interceptors.Add<ErrorMappingInterceptor>();
        });
        builder.Services.AddGrpcHealthChecks();
        builder.Services.AddGrpcReflection();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    public static WebApplication MapFerryGrpcDefaults(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>
    /// A typed gRPC client for another Ferry service, found by its Aspire resource name through
    /// service discovery on the service's cleartext HTTP/2 endpoint named "grpc".
    /// No HTTP resilience handler: gRPC calls carry deadlines and callers decide what is safe to retry.
    /// </summary>
    public static IHttpClientBuilder AddGrpcServiceClient<TClient>(this IServiceCollection services, string serviceName)
        where TClient : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        return services
            .AddGrpcClient<TClient>(options => options.Address = new Uri($"http://_grpc.{serviceName}"))
            .ConfigureChannel(channel => channel.UnsafeUseInsecureChannelCallCredentials = true);
    }
}
