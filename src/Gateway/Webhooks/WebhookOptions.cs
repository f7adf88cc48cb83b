using System.ComponentModel.DataAnnotations;

namespace Ferry.Gateway.Webhooks;

/// <summary>Webhook intake settings (section "Gateway:Webhooks").</summary>
public sealed class WebhookOptions
{
    public const string Section = "Gateway:Webhooks";

    /// <summary>Largest accepted body; larger deliveries answer 413.</summary>
    [Range(1, int.MaxValue)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Bodies read at once before their signature is verified (each up to MaxBodyBytes).</summary>
    [Range(1, 100_000)]
    public int MaxUnverifiedBodies { get; set; } = 64;

    /// <summary>Deliveries waiting for such a slot; beyond them a delivery gets 503 + Retry-After.</summary>
    [Range(0, 1_000_000)]
    public int UnverifiedQueueLimit { get; set; } = 1024;

    /// <summary>How far the Zendesk signature timestamp may be from now (either way) before 401.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ZendeskTimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deadline of the Enqueue call to TicketService; past it the vendor gets 503 and retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retry-After (seconds) sent with 503 when the queue is unreachable.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>How long a delivery id stays in the Redis fast-dedup set.</summary>
    public TimeSpan DedupTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Budget for one Redis dedup call; slower Redis is skipped (the inbox still dedups).</summary>
    public TimeSpan DedupTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}
