namespace Ferry.Gateway.Webhooks;

/// <summary>Webhook intake settings (section "Gateway:Webhooks").</summary>
public sealed class WebhookOptions
{
    public const string Section = "Gateway:Webhooks";

    /// <summary>Largest accepted body; larger deliveries answer 413.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How far the Zendesk signature timestamp may be from now (either way) before 401.</summary>
    public TimeSpan ZendeskTimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deadline of the Enqueue call to TicketService; past it the vendor gets 503 and retries.</summary>
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retry-After (seconds) sent with 503 when the queue is unreachable.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>How long a delivery id stays in the Redis fast-dedup set.</summary>
    public TimeSpan DedupTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Budget for one Redis dedup call; slower Redis is skipped (the inbox still dedups).</summary>
    public TimeSpan DedupTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}
