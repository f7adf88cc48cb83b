using System.ComponentModel.DataAnnotations;
using System.Net.Http.Headers;
using System.Text;
using Ferry.ServiceDefaults.Vendors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Intercom REST settings (section "Intercom"). In sandbox mode BaseUrl is {sandbox}/intercom/.</summary>
public sealed class IntercomOptions
{
    public const string Section = "Intercom";

    [Required]
    public Uri BaseUrl { get; set; } = new("https://api.intercom.io/");

    [Required]
    public string AccessToken { get; set; } = "";

    public string ApiVersion { get; set; } = "2.16";

    /// <summary>The app's client secret: the HMAC key of X-Hub-Signature.</summary>
    public string ClientSecret { get; set; } = "";
}

/// <summary>Zendesk Support settings (section "Zendesk"). In sandbox mode BaseUrl is {sandbox}/zendesk/.</summary>
public sealed class ZendeskOptions
{
    public const string Section = "Zendesk";

    [Required]
    public Uri BaseUrl { get; set; } = null!;

    /// <summary>With an email, API-token Basic auth ({email}/token:{token}); without, the token is an OAuth bearer.</summary>
    public string Email { get; set; } = "";

    [Required]
    public string ApiToken { get; set; } = "";

    public string WebhookSecret { get; set; } = "";

    public AuthenticationHeaderValue CreateAuthorization() =>
        string.IsNullOrEmpty(Email)
            ? new AuthenticationHeaderValue("Bearer", ApiToken)
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Email}/token:{ApiToken}")));
}

public static class VendorHttpClientExtensions
{
    /// <summary>
    /// A typed client for the Zendesk API: base address, authentication, the standard resilience
    /// pipeline (safe methods retried, Retry-After honoured) and, inside it, the shared rate budget
    /// (<see cref="AddSharedRateBudget"/>: every attempt takes a token and waits out a 429's pause). Unsafe calls stay single-shot: callers make
    /// them idempotent (lookup before create, Idempotency-Key) and retry through their own job logic.
    /// </summary>
    public static IHttpClientBuilder AddZendeskHttpClient<TClient>(this IHostApplicationBuilder builder) where TClient : class =>
        builder.AddVendorHttpClient<TClient, ZendeskOptions>(ZendeskOptions.Section, VendorNames.Zendesk, (http, options) =>
        {
            http.BaseAddress = options.BaseUrl;
            http.DefaultRequestHeaders.Authorization = options.CreateAuthorization();
        });

    /// <summary>A typed client for the Intercom API (Bearer token, Intercom-Version header), as above.</summary>
    public static IHttpClientBuilder AddIntercomHttpClient<TClient>(this IHostApplicationBuilder builder) where TClient : class =>
        builder.AddVendorHttpClient<TClient, IntercomOptions>(IntercomOptions.Section, VendorNames.Intercom, (http, options) =>
        {
            http.BaseAddress = options.BaseUrl;
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.AccessToken);
            http.DefaultRequestHeaders.Add("Intercom-Version", options.ApiVersion);
            http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        });

    private static IHttpClientBuilder AddVendorHttpClient<TClient, TOptions>(
        this IHostApplicationBuilder builder, string section, string vendor, Action<HttpClient, TOptions> configure)
        where TClient : class
        where TOptions : class
    {
        builder.Services.AddValidatedOptions<TOptions>(section);
        var userAgent = UserAgent(builder.Environment);
        var client = builder.Services.AddHttpClient<TClient>((services, http) =>
        {
            configure(http, services.GetRequiredService<IOptions<TOptions>>().Value);
            http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        });
        client.AddFerryHttpResilience();
        client.AddSharedRateBudget(vendor);
        return client;
    }

    /// <summary>"Ferry/1.0 (Ferry.IdentityService)": the vendor's logs (and the sandbox's) tell which service sent a request.</summary>
    public static string UserAgent(IHostEnvironment environment) =>
        $"Ferry/{typeof(VendorHttpClientExtensions).Assembly.GetName().Version?.ToString(2)} ({environment.ApplicationName})";

    /// <summary>
    /// Puts the vendor's <see cref="SharedRateBudget"/> (one per account: vendor and API host) on a vendor API client (needs an <c>IConnectionMultiplexer</c>,
    /// e.g. AddRedisClient), and inside it <see cref="VendorHealth"/>, which records every request actually sent. Handlers run in
    /// the order added: after a resilience handler they sit inside it, per attempt.
    /// </summary>
    public static IHttpClientBuilder AddSharedRateBudget(this IHttpClientBuilder builder, string vendor)
    {
        builder.Services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<SharedRateBudget>();
        builder.Services.TryAddSingleton<VendorHealth>();
        builder.Services.AddHostedService<VendorHealth.Flusher>();
        return builder
            .AddHttpMessageHandler(services =>
            {
                var limits = services.GetRequiredService<IOptionsMonitor<RateLimitOptions>>();
                return new SharedRateBudget.Handler(services.GetRequiredService<SharedRateBudget>(), vendor, () => limits.CurrentValue.PerMinute(vendor));
            })
            .AddHttpMessageHandler(services => new VendorHealth.Handler(services.GetRequiredService<VendorHealth>(), vendor));
    }
}
