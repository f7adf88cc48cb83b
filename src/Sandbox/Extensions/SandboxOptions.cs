using System.Security.Cryptography;

namespace Ferry.Sandbox.Extensions;

/// <summary>Configuration section "Sandbox".</summary>
public sealed class SandboxOptions
{
    public const string Section = "Sandbox";

    public IntercomSandboxOptions Intercom { get; set; } = new();

    public ZendeskSandboxOptions Zendesk { get; set; } = new();

    public WebhookDeliveryOptions Webhooks { get; set; } = new();

    public Common.FaultSettings Faults { get; set; } = new();

    public DemoTrafficOptions DemoTraffic { get; set; } = new();

    /// <summary>Validate JSON request bodies against the vendors' OpenAPI schemas (400 with the reasons).</summary>
    public bool ValidateRequests { get; set; } = true;

    /// <summary>Seeds this many contacts and conversations at start-up (0: empty sandbox).</summary>
    public int SeedConversations { get; set; }

    /// <summary>Fills secrets that were not configured with random values, so nothing is ever open.</summary>
    internal void EnsureSecrets()
    {
        Intercom.AccessToken = Or(Intercom.AccessToken);
        Intercom.ClientSecret = Or(Intercom.ClientSecret);
        Intercom.AttachmentSigningKey = Or(Intercom.AttachmentSigningKey);
        Zendesk.ApiToken = Or(Zendesk.ApiToken);
        Zendesk.WebhookSecret = Or(Zendesk.WebhookSecret);

        static string Or(string value) =>
            string.IsNullOrEmpty(value) ? RandomNumberGenerator.GetHexString(40, lowercase: true) : value;
    }
}

public sealed class IntercomSandboxOptions
{
    public string AccessToken { get; set; } = "";

    /// <summary>Signs outgoing webhooks (X-Hub-Signature).</summary>
    public string ClientSecret { get; set; } = "";

    public string AppId { get; set; } = "sandbox";

    /// <summary>Where conversation notifications are POSTed; empty: webhooks off.</summary>
    public string WebhookUrl { get; set; } = "";

    /// <summary>Requests per 10-second window (Intercom: about 10,000/min per app).</summary>
    public int RateLimitPer10Seconds { get; set; } = 1666;

    public TimeSpan AttachmentUrlLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public string AttachmentSigningKey { get; set; } = "";
}

public sealed class ZendeskSandboxOptions
{
    /// <summary>When set, Basic auth must name this email; when empty any email is accepted.</summary>
    public string Email { get; set; } = "";

    public string ApiToken { get; set; } = "";

    public string WebhookSecret { get; set; } = "";

    /// <summary>Where ticket status-change webhooks are POSTed; empty: webhooks off.</summary>
    public string WebhookUrl { get; set; } = "";

    public int RateLimitPerMinute { get; set; } = 700;

    public TimeSpan UploadTokenLifetime { get; set; } = TimeSpan.FromMinutes(60);

    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Uploads up to this size keep their bytes (downloadable); larger ones keep size and SHA-256 only.</summary>
    public long KeepUploadBytesUpTo { get; set; } = 1024 * 1024;

    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// The emulated "Notify requester and CCs of comment update" trigger skips tickets with any of these tags
    /// (the condition docs/DUAL.md tells admins to add, e.g. <c>ferry</c>); empty: Zendesk's default trigger as shipped.
    /// </summary>
    public List<string> NotifyRequesterUnlessTags { get; set; } = [];

    /// <summary>
    /// Background jobs of these types (e.g. <c>bulk_import_tickets</c>) answer "working" to every poll while
    /// listed, as a stalled Zendesk job queue does; their work is done already (the tickets exist).
    /// </summary>
    public List<string> StallJobTypes { get; set; } = [];

    /// <summary>
    /// Background jobs of these types are accepted but wait in the queue while listed, as in a backed-up Zendesk
    /// job queue: they answer "queued" and have done nothing yet (no tickets). Once the type leaves the list they
    /// run before the next Zendesk API request is served.
    /// </summary>
    public List<string> QueueJobTypes { get; set; } = [];
}

public sealed class WebhookDeliveryOptions
{
    public int MaxAttempts { get; set; } = 6;

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class DemoTrafficOptions
{
    public bool Enabled { get; set; }

    /// <summary>New conversations or replies per minute.</summary>
    public double PerMinute { get; set; } = 6;
}
