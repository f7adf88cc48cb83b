using System.Threading.RateLimiting;
using Ferry.ServiceDefaults.Vendors;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Reconcile;

/// <summary>
/// The reconciler's pace: Reconcile:BudgetShare of each vendor's RateLimits:*PerMinute, per replica
/// (one replica reconciles at a time). Its calls also draw from the shared budget like every other call.
/// </summary>
public sealed class ReconcileBudget : IDisposable
{
    public ReconcileBudget(IOptions<RateLimitOptions> limits, IOptions<ReconcileOptions> options)
    {
        Intercom = Pace(limits.Value.IntercomPerMinute * options.Value.BudgetShare);
        Zendesk = Pace(limits.Value.ZendeskPerMinute * options.Value.BudgetShare);
    }

    public RateLimiter Intercom { get; }

    public RateLimiter Zendesk { get; }

    private static TokenBucketRateLimiter Pace(double perMinute)
    {
        var perTenSeconds = Math.Max(1, (int)(perMinute / 6));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perTenSeconds,
            TokensPerPeriod = perTenSeconds,
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = int.MaxValue,
            AutoReplenishment = true,
        });
    }

    public void Dispose()
    {
        Intercom.Dispose();
        Zendesk.Dispose();
    }
}
