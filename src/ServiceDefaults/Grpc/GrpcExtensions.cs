using Ferry.ServiceDefaults.Grpc;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class GrpcExtensions
{
    /// <summary>
    /// gRPC server with health (grpc.health.v1, mirroring the ASP.NET health checks), reflection and
    /// <see cref="ErrorMappingInterceptor"/>, which consults <typeparamref name="TErrorMap"/> first.
    /// </summary>
    public static IServiceCollection AddFerryGrpcServer<TErrorMap>(this IServiceCollection services)
        where TErrorMap : class, IGrpcErrorMap =>
        services.AddSingleton<IGrpcErrorMap, TErrorMap>().AddFerryGrpcServer();

    /// <summary>gRPC server with health, reflection and <see cref="ErrorMappingInterceptor"/> (shared mappings only).</summary>
    public static IServiceCollection AddFerryGrpcServer(this IServiceCollection services)
    {
        services.AddGrpc(options =>
        {
            options.EnableDetailedErrors = false;
            options.Interceptors.Add<ErrorMappingInterceptor>();
        });
        services.AddGrpcHealthChecks();
        services.AddGrpcReflection();
        return services;
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
