namespace Ferry.TicketService.Queue;

/// <summary>One attempt at a claimed job, as the handler sees it.</summary>
/// <param name="cancellation">Fires when the lease is lost or the drain timeout has passed: stop at once.</param>
/// <param name="stopping">Fires when the service is stopping: finish the step in flight, start no new vendor write.</param>
public sealed class JobAttempt(ClaimedJob job, CancellationToken cancellation, CancellationToken stopping)
{
    private readonly List<Action<AttemptTransaction>> _withOutcome = [];

    public ClaimedJob Job => job;

    /// <summary>Writes that commit with the attempt's outcome, in its one last transaction (none if the lease is lost).</summary>
    public IReadOnlyList<Action<AttemptTransaction>> WithOutcome => _withOutcome;

    public CancellationToken Cancellation => cancellation;

    /// <summary>
    /// Records <paramref name="write"/> with the attempt's outcome instead of in a transaction of its own:
    /// for the attempt's last writes, after which nothing but the outcome is recorded.
    /// </summary>
    public void RecordWithOutcome(Action<AttemptTransaction> write) => _withOutcome.Add(write);

    /// <summary>Called before each vendor write: while stopping, the rest of the job is handed back instead.</summary>
    public void ThrowIfStopping()
    {
        if (stopping.IsCancellationRequested)
        {
            throw new WorkerStoppingException(job.JobId);
        }
    }
}

/// <summary>The worker is stopping (a deploy): the attempt ends between two steps and the job goes back to the queue.</summary>
public sealed class WorkerStoppingException(long jobId) : Exception($"Job {jobId} handed back: the worker is stopping.");

/// <summary>Handles one attempt of a job and says how it ended. Exceptions other than lease loss and stopping are the handler's to classify.</summary>
public interface IJobHandler
{
    Task<JobOutcome> HandleAsync(JobAttempt attempt);
}

/// <summary>How an attempt ended: the queue transition and what the attempt log records.</summary>
/// <param name="Progressed">The attempt moved the ledger forward: a failure after progress does not count towards the retry window.</param>
/// <param name="Delay">For a retry or deferral: the least time before the next attempt (a vendor's Retry-After).</param>
public sealed record JobOutcome(
    JobTransition Transition,
    AttemptOutcome Outcome,
    string Reason,
    long? TicketId = null,
    bool Progressed = false,
    TimeSpan? Delay = null,
    string Direction = AttemptLog.IntercomToZendesk,
    string Origin = "intercom")
{
    public static JobOutcome Retry(string reason, bool progressed) => new(JobTransition.Retry, AttemptOutcome.Failure, reason, Progressed: progressed);

    public static JobOutcome Defer(string reason, TimeSpan retryAfter, bool progressed) =>
        new(JobTransition.Defer, AttemptOutcome.Skipped, $"Deferred: {reason}", Progressed: progressed, Delay: retryAfter);

    public static JobOutcome Dead(string reason, bool progressed) => new(JobTransition.Dead, AttemptOutcome.Failure, reason, Progressed: progressed);
}
