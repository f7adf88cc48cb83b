using System.Threading.RateLimiting;
using Ferry.Gateway.Api;
using Ferry.Gateway.StatusPage;
using Ferry.Gateway.Telemetry;
using Ferry.Gateway.Webhooks;
using Ferry.ServiceDefaults.Grpc;
using Ferry.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;

namespace Ferry.Gateway.Extensions;

public static class Extensions
{
    /// <summary>Authorization policy of the Sync API route and reflection: a known API key.</summary>
    public const string ApiClientPolicy = "api-client";

    /// <summary>
    /// Rate limiter policy of the Sync API route and reflection: partitioned by client name, and calls without
    /// a valid key by remote address, so key guessing is throttled without starving the real clients.
    /// </summary>
    public const string PerClientRateLimit = "per-client";

    /// <summary>The keys under which UseAuthentication, UseAuthorization and UseAntiforgery mark a pipeline as having them (ASP.NET Core's own).</summary>
    private const string AuthenticationMiddlewareSet = "__AuthenticationMiddlewareSet";
    private const string AuthorizationMiddlewareSet = "__AuthorizationMiddlewareSet";
    private const string AntiforgeryMiddlewareSet = "__AntiforgeryMiddlewareSet";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddFerryGrpcService();
        builder.Services.AddGrpcServiceClient<SyncInbox.SyncInboxClient>("tickets");

        // Webhooks: signature-protected, acknowledged only once TicketService committed them.
        builder.Services.AddSingleton<GatewayTelemetry>();
        builder.Services.AddWebhookIntake();

        // Sync API for internal tools: API keys (stored hashed) and a per-client rate limit.
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiClientPolicy, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        builder.Services.AddValidatedOptions<ApiRateLimitOptions>(ApiRateLimitOptions.Section);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PerClientRateLimit, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<ApiRateLimitOptions>>().Value;
                var partition = context.User.Identity is { IsAuthenticated: true, Name: { } client }
                    ? "client:" + client
                    : "anonymous:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetFixedWindowLimiter(partition,
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.PermitLimit, Window = limits.Window, QueueLimit = 0 });
            });
            limiter.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter =
                        ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return new ValueTask(GrpcStatusResponse.WriteAsync(context.HttpContext.Response, StatusCode.ResourceExhausted,
                    "Rate limit exceeded (per API key; per address for calls without a valid key); retry later."));
            };
        });

        // The operator's status page (/operator): its own keys, a session cookie, anti-forgery on every action.
        builder.AddStatusPage();

        // The Sync API is proxied to TicketService (gRPC over HTTP/2 end to end); the route carries the
        // policies above (appsettings.json: ReverseProxy:Routes:sync-api).
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(transforms => transforms.AddRequestTransform(context =>
            {
                // The services behind learn which API client called from the gateway alone: a caller's own value is dropped.
                context.ProxyRequest.Headers.Remove(ApiClients.Header);
                if (context.HttpContext.User.Identity is { IsAuthenticated: true, Name: { } client })
                {
                    context.ProxyRequest.Headers.TryAddWithoutValidation(ApiClients.Header, client);
                }

                return ValueTask.CompletedTask;
            }));
    }

    public static WebApplication MapApplicationServices(this WebApplication app)
    {
        // Read the API key hashes now: a malformed entry stops start-up instead of failing the first call.
        var keys = app.Services.GetRequiredService<ApiKeyStore>();
        if (keys.Count == 0)
        {
            GatewayLog.NoApiKeys(app.Logger, ApiKeyStore.Section);
        }

        app.MapDefaultEndpoints();
        // A webhook is proven by its signature: the API's checks are skipped for it (they cost every delivery a DI
        // scope, the authentication service, an API-key handler and an Items dictionary: docs/BENCHMARKS.md). Every
        // other endpoint, and any added later, goes through them.
        app.UseWhen(context => context.GetEndpoint()?.Metadata.GetMetadata<SignedWebhook>() is null, api =>
        {
            api.UseAuthentication();
            // Before authorization, which would answer calls without a valid key before they were counted.
            api.UseRateLimiter();
            api.UseAuthorization();
            api.UseAntiforgery();
        });
        // WebApplication puts its own authentication, authorization and antiforgery in front of every request unless
        // its builder carries the flags their Use… methods set, and in the branch above those land on the branch's
        // copy. WebhookIntakeTests fails if a webhook is authenticated again; the Sync API and status page tests if
        // anything else loses its checks.
        var pipeline = ((IApplicationBuilder)app).Properties;
        pipeline[AuthenticationMiddlewareSet] = pipeline[AuthorizationMiddlewareSet] = pipeline[AntiforgeryMiddlewareSet] = true;

        app.MapGrpcHealthChecksService();
        // Reflection describes the proxied Sync API; like the API itself it needs a key.
        app.MapGrpcService<GatewayReflectionV1>().RequireAuthorization(ApiClientPolicy).RequireRateLimiting(PerClientRateLimit);
        app.MapGrpcService<GatewayReflectionV1Alpha>().RequireAuthorization(ApiClientPolicy).RequireRateLimiting(PerClientRateLimit);
        app.MapWebhooks();
        app.MapStatusPage();
        app.MapReverseProxy();
        return app;
    }
}

internal static partial class GatewayLog
{
    [LoggerMessage(3001, LogLevel.Warning, "No Sync API keys are configured ({Section}:<client>): every Sync API call will be Unauthenticated")]
    public static partial void NoApiKeys(ILogger logger, string section);
}
