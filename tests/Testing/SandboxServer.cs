using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Scenarios;
using Ferry.Sandbox.Webhooks;
using Ferry.Sandbox.Zendesk;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Ferry.Testing;

/// <summary>
/// The Sandbox (Intercom + Zendesk emulators) running in-process on a real Kestrel loopback port, so
/// services under test call it over real HTTP. Use as a class or assembly fixture; state is shared by
/// everything that uses one instance, so tests create their own data (or use <see cref="CreateAsync"/>).
/// </summary>
public sealed class SandboxServer : IAsyncLifetime
{
    private readonly Dictionary<string, string?> _settings;
    private ServiceHost<SandboxOptions>? _host;

    public SandboxServer() : this(null)
    {
    }

    /// <param name="settings">Extra configuration, e.g. <c>["Sandbox:Zendesk:RateLimitPerMinute"] = "5"</c>.</param>
    private SandboxServer(IDictionary<string, string?>? settings)
    {
        IntercomAccessToken = RandomNumberGenerator.GetHexString(32, lowercase: true);
        IntercomClientSecret = RandomNumberGenerator.GetHexString(32, lowercase: true);
        ZendeskApiToken = RandomNumberGenerator.GetHexString(32, lowercase: true);
        ZendeskWebhookSecret = RandomNumberGenerator.GetHexString(32, lowercase: true);
        _settings = new Dictionary<string, string?>
        {
            ["Sandbox:Intercom:AccessToken"] = IntercomAccessToken,
            ["Sandbox:Intercom:ClientSecret"] = IntercomClientSecret,
            ["Sandbox:Zendesk:Email"] = ZendeskEmail,
            ["Sandbox:Zendesk:ApiToken"] = ZendeskApiToken,
            ["Sandbox:Zendesk:WebhookSecret"] = ZendeskWebhookSecret,
            ["Sandbox:Webhooks:FirstRetryDelay"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <summary>Starts a sandbox of its own (for tests that need isolated state or special settings). Dispose it.</summary>
    public static async Task<SandboxServer> CreateAsync(IDictionary<string, string?>? settings = null)
    {
        var server = new SandboxServer(settings);
        await server.InitializeAsync();
        return server;
    }

    /// <summary>A sandbox of its own whose vendor rate limits never answer 429: for benchmarks that count calls or time them, not waits.</summary>
    public static Task<SandboxServer> CreateWithoutRateLimitsAsync() => CreateAsync(new Dictionary<string, string?>
    {
        ["Sandbox:Zendesk:RateLimitPerMinute"] = "100000000",
        ["Sandbox:Intercom:RateLimitPer10Seconds"] = "100000000",
    });

    /// <summary>Root of the sandbox, e.g. http://127.0.0.1:41234/ (the human page is here).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Intercom:BaseUrl for Ferry services: {BaseAddress}intercom/.</summary>
    public Uri IntercomBaseUrl => new(BaseAddress, "intercom/");

    /// <summary>Zendesk:BaseUrl for Ferry services: {BaseAddress}zendesk/.</summary>
    public Uri ZendeskBaseUrl => new(BaseAddress, "zendesk/");

    public string IntercomAccessToken { get; }

    public string IntercomClientSecret { get; }

    public string ZendeskEmail { get; } = "ferry@sandbox.example";

    public string ZendeskApiToken { get; }

    public string ZendeskWebhookSecret { get; }

    /// <summary>Configuration for a Ferry service pointed at this sandbox (Intercom:*, Zendesk:* names).</summary>
    public IReadOnlyDictionary<string, string?> VendorSettings => new Dictionary<string, string?>
    {
        ["Intercom:BaseUrl"] = IntercomBaseUrl.ToString(),
        ["Intercom:AccessToken"] = IntercomAccessToken,
        ["Intercom:ClientSecret"] = IntercomClientSecret,
        ["Zendesk:BaseUrl"] = ZendeskBaseUrl.ToString(),
        ["Zendesk:Email"] = ZendeskEmail,
        ["Zendesk:ApiToken"] = ZendeskApiToken,
        ["Zendesk:WebhookSecret"] = ZendeskWebhookSecret,
    };

    public IServiceProvider Services => (_host ?? throw new InvalidOperationException("The sandbox is not started (InitializeAsync).")).Services;

    /// <summary>The emulated Zendesk account: seed users (AddUser), read Tickets(), Users(), Uploads().</summary>
    public ZendeskState Zendesk => Services.GetRequiredService<ZendeskState>();

    /// <summary>The emulated Intercom workspace: AddContact, AddAdmin, CreateConversation, AddPart, Conversations().</summary>
    public IntercomState Intercom => Services.GetRequiredService<IntercomState>();

    /// <summary>Realistic data: Seed(n), EnsureStaff().</summary>
    public ScenarioSeeder Scenarios => Services.GetRequiredService<ScenarioSeeder>();

    /// <summary>Sandbox time; Advance() expires upload tokens, attachment URLs, rate-limit windows.</summary>
    public SandboxClock Clock => Services.GetRequiredService<SandboxClock>();

    /// <summary>Set <c>Faults.Current = new FaultSettings { … }</c> to inject faults.</summary>
    public FaultState Faults => Services.GetRequiredService<FaultState>();

    /// <summary>Outgoing webhooks: send (IntercomConversation, ZendeskStatusChanged) and inspect Attempts.</summary>
    public WebhookDispatcher Webhooks => Services.GetRequiredService<WebhookDispatcher>();

    /// <summary>The live options: set Options.Intercom.WebhookUrl / Options.Zendesk.WebhookUrl at run time.</summary>
    public SandboxOptions Options => Services.GetRequiredService<SandboxOptions>();

    /// <summary>Vendor API requests received, per vendor and route (what GET /admin/stats answers); Reset() between measured phases.</summary>
    public RequestStats Stats => Services.GetRequiredService<RequestStats>();

    /// <summary>What agents do in Zendesk's own UI: Comment(ticket, agent, html, public) runs the triggers (webhook, requester email).</summary>
    public AgentDesk AgentDesk => Services.GetRequiredService<AgentDesk>();

    /// <summary>The requester emails the emulated "Notify requester and CCs of comment update" trigger sent.</summary>
    public RequesterNotifications Notifications => Services.GetRequiredService<RequesterNotifications>();

    /// <summary>Renders Intercom JSON and pre-signed attachment URLs.</summary>
    public IntercomRenderer IntercomRenderer => Services.GetRequiredService<IntercomRenderer>();

    /// <summary>An HttpClient for the Intercom API: Bearer token and Intercom-Version 2.16.</summary>
    public HttpClient CreateIntercomClient()
    {
        var client = new HttpClient { BaseAddress = IntercomBaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", IntercomAccessToken);
        client.DefaultRequestHeaders.Add("Intercom-Version", "2.16");
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>An HttpClient for the Zendesk API: Basic {email}/token:{token}.</summary>
    public HttpClient CreateZendeskClient()
    {
        var client = new HttpClient { BaseAddress = ZendeskBaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ZendeskEmail}/token:{ZendeskApiToken}")));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public ValueTask InitializeAsync()
    {
        _host = new ServiceHost<SandboxOptions>(_settings).Start();
        BaseAddress = new Uri(_host.HttpAddress, "/");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
