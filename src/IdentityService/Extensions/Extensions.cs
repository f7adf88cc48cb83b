using Ferry.IdentityService.Agents;
using Ferry.IdentityService.Api;
using Ferry.IdentityService.Locking;
using Ferry.IdentityService.Matching;
using Ferry.ServiceDefaults.Redis;

namespace Ferry.IdentityService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("ferry");
        builder.AddFerryRedis();
        builder.Services.AddFerryGrpcServer<IdentityErrorMap>();

        builder.Services.AddValidatedOptions<IdentityOptions>(IdentityOptions.Section);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IdentityTelemetry>();
        builder.AddZendeskHttpClient<ZendeskUsersClient>()
            .AddHttpMessageHandler(() => new ZendeskCallCountingHandler());

        builder.Services.AddSingleton<LinkStore>();
        builder.Services.AddSingleton<RedisResolveLock>();
        builder.Services.AddScoped<RequesterResolver>();
        builder.Services.AddScoped<BatchRequesterResolver>();
        builder.Services.AddScoped<LinkOverrides>();
        builder.Services.AddSingleton<AgentDirectory>();
        builder.Services.AddScoped<AgentResolver>();
        builder.Services.AddHostedService<AgentDirectoryRefresher>();
    }

    /// <summary>Applies the identity schema's migrations (safe with several replicas starting at once).</summary>
    public static Task MigrateAsync(this WebApplication app) =>
        app.MigrateSchemaAsync("ferry", "identity", typeof(Extensions).Assembly);

    public static void MapApplicationServices(this WebApplication app)
    {
        app.MapFerryGrpcDefaults();
        app.MapGrpcService<IdentityApi>();
    }
}
