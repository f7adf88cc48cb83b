using Ferry.IdentityService.Agents;
using Ferry.IdentityService.Api;
using Ferry.IdentityService.Locking;
using Ferry.IdentityService.Matching;

namespace Ferry.IdentityService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddFerryGrpcService<IdentityErrorMap>();
        builder.AddFerryDatabase("ferry", "identity", typeof(Extensions).Assembly);

        builder.Services.AddValidatedOptions<IdentityOptions>(IdentityOptions.Section);
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

    public static WebApplication MapApplicationServices(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        app.MapFerryGrpcDefaults();
        app.MapGrpcService<IdentityApi>();
        return app;
    }
}
