using System.ComponentModel.DataAnnotations;

namespace Ferry.Gateway.Api;

/// <summary>Per-client limit on Sync API calls (section "Gateway:RateLimit"): a fixed window per client name.</summary>
public sealed class ApiRateLimitOptions
{
    public const string Section = "Gateway:RateLimit";

    [Range(1, int.MaxValue)]
    public int PermitLimit { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);
}
