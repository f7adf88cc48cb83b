namespace Ferry.TicketService.Data;

public enum SyncTrigger
{
    Webhook,
    Api,
    Backfill,
    Retry,
    Reconcile,
}

public enum JobState
{
    Pending,
    Running,
    Done,
    Dead,
}

/// <summary>A verified vendor delivery to record once and turn into (or fold into) a sync job.</summary>
public sealed record Delivery(
    string Source,
    string DeliveryId,
    string Topic,
    string? ConversationId,
    long? TicketId,
    DateTimeOffset? EventAt,
    ReadOnlyMemory<byte> Payload,
    string? TraceParent);

/// <param name="JobId">The job the delivery joined; 0 when it queued nothing.</param>
/// <param name="Duplicate">The delivery id was seen before: nothing new happened.</param>
/// <param name="Ignored">Recorded, but the event needs no sync.</param>
public sealed record EnqueueResult(long JobId, bool Duplicate, bool Ignored);

/// <param name="Coalesced">An active job for the conversation absorbed the request.</param>
public sealed record QueuedJob(long JobId, bool Coalesced);

/// <summary>What a claim found: a job, or none because none was due or because claiming is paused.</summary>
public readonly record struct Claim(ClaimedJob? Job, bool Paused);

/// <summary>
/// A job this worker holds. <see cref="Fence"/> is the fencing token every write checks: it grows with
/// every claim and is never reused. <see cref="Attempt"/> numbers the attempts of this run of the job.
/// </summary>
/// <param name="Failures">Attempts in a row that failed without progress before this one.</param>
public sealed record ClaimedJob(
    long JobId,
    string ConversationId,
    int Attempt,
    long Fence,
    SyncTrigger Trigger,
    string? TraceParent,
    DateTimeOffset? FirstEventAt,
    int Failures = 0);

/// <summary>The job lost its lease: another worker owns it now, so this attempt stops without writing.</summary>
public sealed class LeaseLostException(long jobId) : Exception($"Job {jobId} was taken over by another worker.");

public sealed record JobInfo(long JobId, string ConversationId, JobState State, int Attempt, string? LastError, DateTimeOffset RunAfter, Dismissal? Dismissal = null);

/// <summary>A dead job for the operator: why it died, since when its conversation waits, and its dismissal if it has one.</summary>
public sealed record DeadJob(long JobId, string ConversationId, long? TicketId, int Attempts, string Reason, DateTimeOffset DiedAt, DateTimeOffset CreatedAt, Dismissal? Dismissal = null);

/// <summary>An operator's word that nothing is to be done about a dead job: when, which API client, and why.</summary>
public sealed record Dismissal(DateTimeOffset At, string By, string Note);

/// <summary>How an attempt ended, as the queue records it.</summary>
public enum JobTransition
{
    /// <summary>Done (or pending again when events arrived during the attempt).</summary>
    Completed,

    /// <summary>Back to pending after a delay; counts towards the retry window unless the attempt made progress.</summary>
    Retry,

    /// <summary>Back to pending after the vendor's Retry-After; never counts.</summary>
    Defer,

    /// <summary>Back to pending at once: the worker stopped (drain); never counts.</summary>
    HandBack,

    /// <summary>Dead at once: the fault is permanent.</summary>
    Dead,
}

/// <summary>
/// The text columns sync.jobs.trigger/state and sync.attempts.trigger/outcome hold: each enum member's
/// name in lower case (the CHECK constraints list the same words).
/// </summary>
public static class DbNames
{
    public static string ToDb<T>(this T value) where T : struct, Enum =>
        Enum.IsDefined(value) ? value.ToString().ToLowerInvariant() : throw new ArgumentOutOfRangeException(nameof(value), value, $"Not a {typeof(T).Name}");

    public static T Parse<T>(string value) where T : struct, Enum =>
        value.Length > 0 && char.IsLower(value[0]) && Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"Unknown {typeof(T).Name}");
}
