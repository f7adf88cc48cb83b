using System.ComponentModel.DataAnnotations;

namespace Ferry.TicketService.Queue;

/// <summary>Section "Queue".</summary>
public sealed class QueueOptions
{
    public const string Section = "Queue";

    /// <summary>Concurrent jobs per replica.</summary>
    [Range(1, 256)]
    public int Workers { get; set; } = 4;

    /// <summary>How long a claim lasts without renewal; an expired lease is taken over by another worker.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long transient faults (5xx, 429, timeouts, cut answers, a Ferry service unavailable) are
    /// retried before the job is dead. Counted from the first of a run of failed attempts that made no
    /// progress: an attempt that moved the ledger forward starts the window again.
    /// </summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Claims without a recorded outcome (the attempt died with its process) before the job is dead.</summary>
    [Range(2, 100)]
    public int MaxClaimsWithoutOutcome { get; set; } = 5;

    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// On shutdown (SIGTERM), how long in-flight attempts may take to finish their current vendor call and
    /// record it before they are cut off; keep it below Kubernetes' terminationGracePeriodSeconds (30 s).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Idle poll interval; new jobs also wake workers through LISTEN/NOTIFY.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

public static class Backoff
{
    /// <summary>Exponential backoff with full jitter: uniform in [0, min(cap, base·2^(attempt-1))], at least base/2.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan cap, Random random)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var ceiling = Math.Min(cap.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var floor = Math.Min(baseDelay.TotalMilliseconds / 2, ceiling);
        return TimeSpan.FromMilliseconds(floor + (random.NextDouble() * (ceiling - floor)));
    }
}
