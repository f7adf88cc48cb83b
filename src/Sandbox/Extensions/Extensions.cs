using Ferry.Sandbox.Admin;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Page;
using Ferry.Sandbox.Scenarios;
using Ferry.Sandbox.Webhooks;
using Ferry.Sandbox.Zendesk;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ferry.Sandbox.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SandboxOptions.Section).Get<SandboxOptions>() ?? new SandboxOptions();
        options.EnsureSecrets();
        builder.Services.AddSingleton(options);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new SandboxClock(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(new FaultState(options.Faults));
        builder.Services.AddSingleton<RateLimits>();
        builder.Services.AddSingleton<RequestStats>();
        builder.Services.AddSingleton<SandboxUrls>();
        builder.Services.AddSingleton<ZendeskState>();
        builder.Services.AddSingleton<RequesterNotifications>();
        builder.Services.AddSingleton<AgentDesk>();
        builder.Services.AddSingleton<IntercomState>();
        builder.Services.AddSingleton<IntercomRenderer>();
        builder.Services.AddSingleton<ScenarioSeeder>();
        builder.Services.AddSingleton<IntercomAuthFilter>();
        builder.Services.AddSingleton<ZendeskAuthFilter>();
        builder.Services.AddSingleton<IntercomRateLimitFilter>();
        builder.Services.AddSingleton<ZendeskRateLimitFilter>();

        // Webhook delivery retries by its own policy, so no resilience handler here.
        builder.Services.AddHttpClient("webhooks");
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddHostedService<DemoTraffic>();

        // Zendesk accepts uploads of about 50 MB; Kestrel's default limit is 30 MB.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.Zendesk.MaxUploadBytes + (1024 * 1024));
    }

    public static WebApplication MapApplicationServices(this WebApplication app)
    {
        app.MapDefaultEndpoints();

        // node-zendesk and others append ".json" to every Zendesk path; real Zendesk accepts both forms.
        app.Use((context, next) =>
        {
            var path = context.Request.Path.Value;
            if (path is not null && path.StartsWith("/zendesk/", StringComparison.Ordinal) && path.EndsWith(".json", StringComparison.Ordinal))
            {
                context.Request.Path = path[..^".json".Length];
            }

            return next(context);
        });
        app.UseRouting();
        var stats = app.Services.GetRequiredService<RequestStats>();
        app.Use(stats.CountAsync);

        app.MapZendesk();
        app.MapIntercom();
        app.MapAdmin();
        app.MapAgentDesk();
        app.MapConversationAttributes();
        app.MapSandboxPage();
        return app;
    }
}
