namespace Ferry.TicketService.Queue;

public enum SyncTrigger
{
    Webhook,
    Api,
    Backfill,
    Retry,
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

/// <summary>A job this worker holds: <see cref="Attempt"/> is the fencing token for every write it makes.</summary>
public sealed record ClaimedJob(
    long JobId,
    string ConversationId,
    int Attempt,
    SyncTrigger Trigger,
    string? TraceParent,
    DateTimeOffset? FirstEventAt);

/// <summary>The job lost its lease: another worker owns it now, so this attempt stops without writing.</summary>
public sealed class LeaseLostException(long jobId) : Exception($"Job {jobId} was taken over by another worker.");

public sealed record JobInfo(long JobId, string ConversationId, JobState State, int Attempt, string? LastError, DateTimeOffset RunAfter);

public static class SyncTriggerNames
{
    public static string ToDb(this SyncTrigger trigger) => trigger switch
    {
        SyncTrigger.Webhook => "webhook",
        SyncTrigger.Api => "api",
        SyncTrigger.Backfill => "backfill",
        SyncTrigger.Retry => "retry",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger)),
    };

    public static SyncTrigger ParseTrigger(string value) => value switch
    {
        "webhook" => SyncTrigger.Webhook,
        "api" => SyncTrigger.Api,
        "backfill" => SyncTrigger.Backfill,
        "retry" => SyncTrigger.Retry,
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown trigger"),
    };

    public static JobState ParseState(string value) => value switch
    {
        "pending" => JobState.Pending,
        "running" => JobState.Running,
        "done" => JobState.Done,
        "dead" => JobState.Dead,
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown job state"),
    };
}
