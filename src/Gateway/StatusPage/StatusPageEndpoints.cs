using System.Security.Claims;
using Ferry.Gateway.Api;
using Ferry.ServiceDefaults.Grpc;
using Ferry.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Ferry.Gateway.StatusPage;

/// <summary>
/// /operator: the status page and its actions, for people with an operator key. The key is entered once in
/// a form and exchanged for an HttpOnly, SameSite=Strict session cookie (Secure over HTTPS); every POST
/// carries an anti-forgery token. TicketService and IdentityService are called directly (gRPC client
/// factory), never through the gateway's own proxy.
/// </summary>
public static partial class StatusPageEndpoints
{
    public const string CookieScheme = "Operator";
    public const string OperatorPolicy = "operator";
    private const string PagePath = "/operator";
    private const string KeyRingKey = "ferry:gateway:data-protection-keys";
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReconcileDeadline = TimeSpan.FromMinutes(2);

    public static void AddStatusPage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<OperatorOptions, OperatorOptionsValidator>(OperatorOptions.Section);
        services.AddKeyedSingleton(OperatorOptions.KeysSection, (sp, _) => new ApiKeyStore(sp.GetRequiredService<IConfiguration>(), OperatorOptions.KeysSection));
        services.AddGrpcServiceClient<Sync.SyncClient>("tickets");
        services.AddGrpcServiceClient<Identity.IdentityClient>("identity");

        // The session cookie and the form tokens are encrypted with the data-protection key ring. Behind a load
        // balancer the next request may reach another replica, and a restarted pod would forget a key ring kept
        // on its own disk: every replica keeps it in Redis under one application name. (Redis flushed: operators sign in again.)
        services.AddDataProtection().SetApplicationName("ferry-gateway");
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((keys, provider) =>
            keys.XmlRepository = new RedisXmlRepository(() => provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase(), KeyRingKey));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "ferry-operator-antiforgery";
            antiforgery.Cookie.Path = PagePath;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddAuthentication().AddCookie(CookieScheme, cookie =>
        {
            cookie.Cookie.Name = "ferry-operator";
            cookie.Cookie.Path = PagePath;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.LoginPath = PagePath + "/login";
            cookie.SlidingExpiration = true;
        });
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme)
            .Configure<IOptions<OperatorOptions>>((cookie, options) => cookie.ExpireTimeSpan = options.Value.SessionLifetime);
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, policy => policy.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser());
    }

    public static void MapStatusPage(this WebApplication app)
    {
        var keys = app.Services.GetRequiredKeyedService<ApiKeyStore>(OperatorOptions.KeysSection);
        if (keys.Count == 0)
        {
            LogNoOperatorKeys(app.Logger, OperatorOptions.KeysSection);
        }

        var page = app.MapGroup(PagePath).WithMetadata(new RequireAntiforgeryTokenAttribute());
        page.MapGet("", ShowAsync).RequireAuthorization(OperatorPolicy);
        page.MapGet("/login", (HttpContext http, IAntiforgery antiforgery) => Html(http, StatusPageView.RenderLogin(Tokens(antiforgery, http), refused: false)));
        page.MapPost("/login", SignInAsync);
        page.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieScheme);
            return Results.Redirect(PagePath + "/login");
        }).RequireAuthorization(OperatorPolicy);
        page.MapPost("/retry", RetryAsync).RequireAuthorization(OperatorPolicy);
        page.MapPost("/dismiss", DismissAsync).RequireAuthorization(OperatorPolicy);
        page.MapPost("/pause", PauseAsync).RequireAuthorization(OperatorPolicy);
        page.MapPost("/reconcile", ReconcileAsync).RequireAuthorization(OperatorPolicy);
    }

    private static async Task<IResult> ShowAsync(
        HttpContext http, Sync.SyncClient sync, Identity.IdentityClient identity, IAntiforgery antiforgery, IOptions<OperatorOptions> options, TimeProvider time,
        string? done, int? count, string? failed)
    {
        var deadline = DateTime.UtcNow + ReadDeadline;
        var status = CallAsync(sync.GetStatusAsync(new GetStatusRequest(), deadline: deadline, cancellationToken: http.RequestAborted).ResponseAsync);
        var links = CallAsync(identity.ListLinksAsync(new ListLinksRequest { ConflictsOnly = true, PageSize = 100 }, deadline: deadline, cancellationToken: http.RequestAborted).ResponseAsync);
        var (statusReply, statusError) = await status;
        var (linksReply, linksError) = await links;
        var model = new StatusPageModel(statusReply, statusError, linksReply?.Links, linksError, http.User.Identity?.Name ?? "", Notice(done, count, failed),
            Tokens(antiforgery, http), options.Value, time.GetUtcNow());
        return Html(http, StatusPageView.Render(model));
    }

    private static async Task<IResult> SignInAsync(HttpContext http, [FromForm] string? key, [FromKeyedServices(OperatorOptions.KeysSection)] ApiKeyStore keys, IAntiforgery antiforgery, ILoggerFactory loggers)
    {
        if (string.IsNullOrEmpty(key) || keys.FindClient(key) is not { } name)
        {
            LogRefused(loggers.CreateLogger(typeof(StatusPageEndpoints)), http.Connection.RemoteIpAddress?.ToString());
            return Html(http, StatusPageView.RenderLogin(Tokens(antiforgery, http), refused: true), StatusCodes.Status401Unauthorized);
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], CookieScheme);
        await http.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
        return Results.Redirect(PagePath);
    }

    private static Task<IResult> RetryAsync(HttpContext http, Sync.SyncClient sync, ILoggerFactory loggers, [FromForm] long? jobId, [FromForm] string? deadReason, [FromForm] bool? allDead)
    {
        RetryRequest? request = jobId is > 0 ? new() { JobId = jobId.Value }
            : !string.IsNullOrWhiteSpace(deadReason) ? new() { DeadReason = deadReason }
            : allDead == true ? new() { AllDead = true }
            : null;
        return request is null
            ? Task.FromResult(Results.BadRequest("Give jobId, deadReason or allDead."))
            : ActAsync(http, loggers, $"retry {request}", "retried",
                async deadline => (await sync.RetryAsync(request, deadline: deadline, cancellationToken: http.RequestAborted)).Requeued);
    }

    private static Task<IResult> DismissAsync(HttpContext http, Sync.SyncClient sync, ILoggerFactory loggers, [FromForm] long? jobId, [FromForm] string? note)
    {
        if (jobId is not > 0 || string.IsNullOrWhiteSpace(note))
        {
            return Task.FromResult(Results.BadRequest("Give jobId and a note (why nothing is to be done)."));
        }

        // TicketService records who dismissed it: this operator (the page calls it directly, not through the proxy).
        var who = new Metadata { { ApiClients.Header, http.User.Identity?.Name ?? "" } };
        return ActAsync(http, loggers, $"dismiss job {jobId}", "dismissed",
            async deadline => (await sync.DismissAsync(new DismissRequest { JobId = jobId.Value, Note = note }, who, deadline, http.RequestAborted)).Dismissed);
    }

    private static Task<IResult> PauseAsync(HttpContext http, Sync.SyncClient sync, ILoggerFactory loggers, [FromForm] bool paused, [FromForm] string? reason)
    {
        var who = http.User.Identity?.Name;
        var request = new SetPausedRequest { Paused = paused, Reason = paused ? $"{(string.IsNullOrWhiteSpace(reason) ? "paused" : reason.Trim())} ({who})" : "" };
        return ActAsync(http, loggers, paused ? "pause" : "resume", paused ? "paused" : "resumed",
            async deadline => (await sync.SetPausedAsync(request, deadline: deadline, cancellationToken: http.RequestAborted)).Paused ? 1 : 0);
    }

    private static Task<IResult> ReconcileAsync(HttpContext http, Sync.SyncClient sync, ILoggerFactory loggers) =>
        ActAsync(http, loggers, "reconcile", "reconciled",
            async deadline => (await sync.ReconcileAsync(new ReconcileRequest(), deadline: deadline, cancellationToken: http.RequestAborted)).Findings.Count, ReconcileDeadline);

    /// <summary>Runs one operator action, logs who did what, and goes back to the page with the outcome (post/redirect/get).</summary>
    private static async Task<IResult> ActAsync(HttpContext http, ILoggerFactory loggers, string action, string done, Func<DateTime, Task<int>> call, TimeSpan? deadline = null)
    {
        var logger = loggers.CreateLogger(typeof(StatusPageEndpoints));
        var who = http.User.Identity?.Name ?? "";
        try
        {
            var count = await call(DateTime.UtcNow + (deadline ?? ReadDeadline));
            LogAction(logger, who, action, count);
            return Results.Redirect($"{PagePath}?done={done}&count={count}");
        }
        catch (RpcException e)
        {
            LogActionFailed(logger, who, action, e.StatusCode, e.Status.Detail);
            return Results.Redirect($"{PagePath}?failed={e.StatusCode}");
        }
    }

    private static string? Notice(string? done, int? count, string? failed) => (done, failed) switch
    {
        (_, { } code) => Enum.TryParse<StatusCode>(code, out var status) ? $"TicketService refused the action: {status}." : null,
        ("retried", _) => $"{count ?? 0} job(s) queued again.",
        ("dismissed", _) => $"{count ?? 0} dead job(s) dismissed.",
        ("paused", _) => "Syncing paused on every replica.",
        ("resumed", _) => "Syncing resumed.",
        ("reconciled", _) => $"Reconciler ran: {count ?? 0} finding(s).",
        _ => null,
    };

    private static async Task<(T? Reply, string? Error)> CallAsync<T>(Task<T> call) where T : class
    {
        try
        {
            return (await call, null);
        }
        catch (RpcException e)
        {
            return (null, $"{e.StatusCode}: {e.Status.Detail}");
        }
    }

    private static (string, string) Tokens(IAntiforgery antiforgery, HttpContext http)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return (tokens.FormFieldName, tokens.RequestToken ?? "");
    }

    /// <summary>HTML that runs no script at all (CSP), is never framed and never cached.</summary>
    private static IResult Html(HttpContext http, string html, int statusCode = StatusCodes.Status200OK)
    {
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Content(html, "text/html; charset=utf-8", statusCode: statusCode);
    }

    [LoggerMessage(3101, LogLevel.Warning, "No operator keys are configured ({Section}:<name>): nobody can open the status page")]
    private static partial void LogNoOperatorKeys(ILogger logger, string section);

    [LoggerMessage(3102, LogLevel.Warning, "Status page sign-in refused: unknown operator key (remote {RemoteIp})")]
    private static partial void LogRefused(ILogger logger, string? remoteIp);

    [LoggerMessage(3103, LogLevel.Information, "Operator {Operator}: {Action} → {Count}")]
    private static partial void LogAction(ILogger logger, string @operator, string action, int count);

    [LoggerMessage(3104, LogLevel.Warning, "Operator {Operator}: {Action} failed with {StatusCode}: {Detail}")]
    private static partial void LogActionFailed(ILogger logger, string @operator, string action, StatusCode statusCode, string detail);
}
