using System.ComponentModel.DataAnnotations;

namespace Ferry.TicketService.Reconcile;

/// <summary>Section "Reconcile": how often Ferry looks for drift, and how much of the vendor budget it may spend on it.</summary>
public sealed class ReconcileOptions
{
    public const string Section = "Reconcile";

    /// <summary>Between two scan passes (Intercom conversations updated since the watermark). Zero turns the background reconciler off.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Between two deep passes (a sample of linked tickets read back from Zendesk). Zero turns them off.</summary>
    public TimeSpan DeepInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Each scan starts this long before the watermark: Intercom's updated_at has second precision and search is eventually consistent.</summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How far back the very first scan looks (there is no watermark yet).</summary>
    public TimeSpan InitialLookback { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The share of RateLimits:*PerMinute the reconciler may use, so live sync keeps the rest.</summary>
    [Range(0.01, 1.0)]
    public double BudgetShare { get; set; } = 0.2;

    /// <summary>Linked tickets the deep pass reads back per pass (least recently checked first).</summary>
    [Range(1, 100_000)]
    public int DeepSample { get; set; } = 200;

    /// <summary>A scan stops after this many conversations; the next pass goes on from where it stopped.</summary>
    [Range(1, 1_000_000)]
    public int MaxConversationsPerPass { get; set; } = 10_000;
}
