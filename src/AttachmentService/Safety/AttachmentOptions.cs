using System.ComponentModel.DataAnnotations;

namespace Ferry.AttachmentService.Safety;

/// <summary>
/// Settings of section "Attachments". Every relaxation (plain http, loopback) is off unless configured:
/// the AppHost turns them on only in sandbox mode, tests only for their own loopback servers.
/// </summary>
public sealed class AttachmentOptions
{
    public const string Section = "Attachments";

    /// <summary>Zendesk's per-file upload limit (50 MB).</summary>
    public const long ZendeskMaxFileBytes = 50L * 1024 * 1024;

    /// <summary>
    /// Intercom's attachment hosts (from Intercom's published CSP host list). "*.example.com" matches
    /// example.com and every subdomain of it.
    /// </summary>
    public static IReadOnlyList<string> DefaultAllowedHosts { get; } =
    [
        "downloads.intercomcdn.com",
        "downloads.intercomcdn.eu",
        "downloads.au.intercomcdn.com",
        "uploads.intercomusercontent.com",
        "video-messages.intercomcdn.com",
        "*.intercom-attachments.com",
        .. Enumerable.Range(1, 9).Select(i => $"*.intercom-attachments-{i}.com"),
    ];

    /// <summary>Source hosts allowed; empty = <see cref="DefaultAllowedHosts"/>. Replaces the defaults when set.</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>
    /// Zendesk attachment hosts (Fetch, dual mode); empty = the Zendesk account's own host (Zendesk:BaseUrl, where
    /// content_url points) and <c>*.zdusercontent.com</c> (where Zendesk serves attachment files). Replaces both when set.
    /// </summary>
    public string[] ZendeskAllowedHosts { get; set; } = [];

    /// <summary>Hosts that may be fetched over plain http (sandbox only). Empty by default: https only.</summary>
    public string[] AllowInsecureHttpForHosts { get; set; } = [];

    /// <summary>Allows loopback addresses (127.0.0.0/8, ::1) at connect time. Sandbox and tests only.</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Largest file copied (bytes); checked up front (declared size, Content-Length) and while streaming.</summary>
    [Range(0, long.MaxValue)]
    public long MaxFileBytes { get; set; } = ZendeskMaxFileBytes;

    /// <summary>Time cap for one file (download + upload, one attempt).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00")]
    public TimeSpan FileTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Budget for one Copy call (all files, all attempts), also bounded by the caller's deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00")]
    public TimeSpan CallBudget { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts per file for transient failures (download or upload broken mid-stream, 5xx, 429).</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Backoff before the second attempt; doubles each attempt.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(0, 10)]
    public int MaxRedirects { get; set; } = 3;

    public IReadOnlyList<string> EffectiveAllowedHosts => AllowedHosts.Length > 0 ? AllowedHosts : DefaultAllowedHosts;

    public IReadOnlyList<string> EffectiveZendeskHosts(Uri zendeskBaseUrl) =>
        ZendeskAllowedHosts.Length > 0 ? ZendeskAllowedHosts : [zendeskBaseUrl.IdnHost, "*.zdusercontent.com"];
}
