namespace Ferry.Gateway.Api;

/// <summary>Per-client limit on Sync API calls (section "Gateway:RateLimit"): a fixed window per client name.</summary>
public sealed class ApiRateLimitOptions
{
    public const string Section = "Gateway:RateLimit";

    public int PermitLimit { get; set; } = 100;

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);
}
