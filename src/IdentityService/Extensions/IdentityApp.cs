using Ferry.IdentityService.Api;

namespace Ferry.IdentityService.Extensions;

/// <summary>Builds the service's web application: used by Program and by in-process tests and benchmarks.</summary>
public static class IdentityApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(IdentityApp).Assembly.GetName().Name,
        });

        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        configure?.Invoke(builder);

        var app = builder.Build();

        // Connect to Redis now, not inside the first requests: the multiplexer's first (synchronous) connect
        // would block every concurrent request on the singleton — for seconds when Redis is down.
        _ = app.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>();
        app.MapDefaultEndpoints();
        app.MapFerryGrpcDefaults();
        app.MapGrpcService<IdentityApi>();
        return app;
    }

    /// <summary>Applies the identity schema's migrations (safe with several replicas starting at once).</summary>
    public static Task MigrateAsync(this WebApplication app, CancellationToken ct = default) =>
        app.MigrateSchemaAsync("ferry", "identity", typeof(IdentityApp).Assembly, ct);
}
