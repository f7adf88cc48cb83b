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

    /// <summary>Attempts before a job is dead (rate-limit deferrals do not count).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(10);

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
