using System.ComponentModel.DataAnnotations;

namespace Ferry.IdentityService.Extensions;

/// <summary>Configuration section "Identity".</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>A link older than this (since Zendesk last confirmed the user) is re-checked before it is served.</summary>
    public TimeSpan LinkVerifyAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Expiry of the Redis resolve lock (a crashed holder frees it after this).</summary>
    public TimeSpan LockExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a resolve waits for another resolve of the same contact before going to the database lock itself.</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait for Redis per lock call; slower counts as Redis down (the database lock takes over).</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>After a Redis failure the resolve lock skips Redis this long.</summary>
    public TimeSpan RedisBackOff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Postgres lock_timeout for the per-contact advisory lock.</summary>
    public TimeSpan DatabaseLockTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Resolve transactions (each holds a connection while it waits for its advisory locks) open at once per process.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentResolveTransactions { get; set; } = 16;

    public ZendeskLimits Zendesk { get; set; } = new();

    public AgentOptions Agents { get; set; } = new();

    /// <summary>Intercom team id → Zendesk group id (rows in identity.team_groups win).</summary>
    public Dictionary<string, long> TeamGroups { get; set; } = [];
}

public sealed class ZendeskLimits
{
    /// <summary>Times a 429 on a POST is waited out and retried.</summary>
    public int MaxRateLimitRetries { get; set; } = 3;

    /// <summary>A Retry-After longer than this fails the call as Unavailable (the caller retries later).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan DefaultRetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}

public enum AgentFallback
{
    /// <summary>Unmatched admins leave the ticket unassigned.</summary>
    None,

    /// <summary>Unmatched admins map to <see cref="AgentOptions.DefaultAgentId"/>.</summary>
    DefaultAgent,
}

public sealed class AgentOptions
{
    public AgentFallback Fallback { get; set; } = AgentFallback.None;

    public long DefaultAgentId { get; set; }

    /// <summary>How often the agent directory is re-read from Zendesk.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);
}
