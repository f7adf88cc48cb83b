using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Data;

/// <summary>
/// The durable queue in Postgres (sync.jobs; deliveries come in through <see cref="InboxWriter"/>, in the
/// transaction that queues their job); workers claim with FOR UPDATE SKIP LOCKED and a lease, and every later write is fenced
/// by the job's fencing token, so a worker that lost its lease cannot write for a job another holds.
/// </summary>
public sealed class JobStore(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>SQLSTATE raised by sync.ensure_owned: the job is no longer the attempt's.</summary>
    public const string FencedOutState = "FY001";

    /// <summary>
    /// The fence of an attempt's writes, first in their batch: locks the job row shared if this attempt
    /// still owns it, else fails the whole batch with <see cref="FencedOutState"/> (nothing in it is written).
    /// </summary>
    public static NpgsqlBatchCommand Fence(ClaimedJob job)
    {
        var fence = new NpgsqlBatchCommand("SELECT sync.ensure_owned(@job_id, @fence)");
        fence.Parameters.AddWithValue("job_id", job.JobId);
        fence.Parameters.AddWithValue("fence", job.Fence);
        return fence;
    }

    public const string NotifyChannel = "ferry_sync_jobs";

    // Inserts the job, or folds the request into the conversation's active job. A job that is
    // running gets `rerun`, so the worker re-reads the conversation after it finishes.
    /// <summary>
    /// The conflict clause of an insert into sync.jobs: events for a conversation fold into its active job,
    /// and one arriving while that job runs sets <c>rerun</c>, so nothing is missed.
    /// </summary>
    internal const string FoldIntoActiveJobSql = """
        ON CONFLICT (conversation_id) WHERE state IN ('pending', 'running')
        DO UPDATE SET rerun = sync.jobs.rerun OR sync.jobs.state = 'running',
                      first_event_at = LEAST(sync.jobs.first_event_at, EXCLUDED.first_event_at),
                      updated_at = now()
        """;

    private const string UpsertJobSql = $"""
        INSERT INTO sync.jobs (conversation_id, trigger, traceparent, first_event_at)
        VALUES (@conversation_id, @trigger, @traceparent, @event_at)
        {FoldIntoActiveJobSql}
        RETURNING job_id, (xmax = 0) AS inserted
        """;

    public async Task<QueuedJob> RequestAsync(string conversationId, SyncTrigger trigger, string? traceParent, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var job = await UpsertJobAsync(connection, tx, conversationId, trigger, traceParent, clock.GetUtcNow(), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>
    /// Claims the next due job (or one whose lease expired): no job when none is due or claiming is paused
    /// (<see cref="SetPausedAsync"/>), and which of the two, in the same round trip. First, a job whose lease
    /// expired after <paramref name="maxClaimsWithoutOutcome"/> claims without an outcome is dead: its
    /// attempts keep dying with their process, and claiming it again would only crash again.
    /// </summary>
    public async Task<Claim> ClaimAsync(string workerId, TimeSpan lease, int maxClaimsWithoutOutcome, CancellationToken cancellationToken)
    {
        await using var batch = db.CreateBatch();
        var crashLoops = new NpgsqlBatchCommand("""
            UPDATE sync.jobs
            SET state = 'dead', death = 'crash-loop', dead_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now(),
                last_error = format('Its last %s attempts died with their process before recording an outcome (a crash loop: out of memory, a conversation that crashes the worker?). Last error: %s',
                                    claims_without_outcome, COALESCE(last_error, 'none'))
            WHERE job_id IN (
                SELECT job_id FROM sync.jobs
                WHERE state = 'running' AND lease_until < now() AND claims_without_outcome >= @max_claims
                FOR UPDATE SKIP LOCKED)
            """);
        crashLoops.Parameters.AddWithValue("max_claims", maxClaimsWithoutOutcome);
        batch.BatchCommands.Add(crashLoops);

        var claim = new NpgsqlBatchCommand("""
            UPDATE sync.jobs j
            SET state = 'running', attempt = j.attempt + 1, fence = j.fence + 1, claims_without_outcome = j.claims_without_outcome + 1,
                lease_owner = @worker, lease_until = now() + @lease, updated_at = now()
            WHERE j.job_id = (
                SELECT job_id FROM sync.jobs
                WHERE NOT (SELECT paused FROM sync.control)
                  AND ((state = 'pending' AND run_after <= now())
                    OR (state = 'running' AND lease_until < now()))
                ORDER BY run_after
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING j.job_id, j.conversation_id, j.attempt, j.fence, j.trigger, j.traceparent, j.first_event_at, j.failures
            """);
        claim.Parameters.AddWithValue("worker", workerId);
        claim.Parameters.AddWithValue("lease", lease);
        batch.BatchCommands.Add(claim);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT paused FROM sync.control"));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var job = await reader.ReadAsync(cancellationToken)
            ? new ClaimedJob(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), DbNames.Parse<SyncTrigger>(reader.GetString(4)),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt32(7))
            : null;
        await reader.NextResultAsync(cancellationToken);
        var paused = await reader.ReadAsync(cancellationToken) && reader.GetBoolean(0);
        return new Claim(job, paused);
    }

    /// <summary>Extends the lease; false when the job is no longer ours (fenced out).</summary>
    public async Task<bool> RenewLeaseAsync(ClaimedJob job, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            UPDATE sync.jobs SET lease_until = now() + @lease
            WHERE job_id = @job_id AND fence = @fence AND state = 'running'
            """);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("job_id", job.JobId);
        command.Parameters.AddWithValue("fence", job.Fence);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// How the attempt ended, with its attempt row, as one statement for the attempt's last batch: the
    /// row only when the transition happened. It returns the job's new state (column "state") and the
    /// attempt row's id (to announce once committed), or no row when the lease was lost. Whatever the transition, a job that received events
    /// during the attempt goes back to pending: such an event is never dropped, not even by a job that
    /// dies. A transient failure without progress counts towards the retry window (dead once
    /// <paramref name="retryWindow"/> has passed since the first of them); progress resets it.
    /// </summary>
    public static NpgsqlBatchCommand Finish(
        ClaimedJob job, JobTransition transition, string? error, TimeSpan delay, bool progress, DateTimeOffset attemptStarted, TimeSpan retryWindow, AttemptRecord attempt)
    {
        var command = new NpgsqlBatchCommand($"""
            WITH current AS (
                SELECT job_id, rerun, failures, failing_since,
                       @kind = 'dead' OR (@kind = 'retry' AND NOT @progress AND COALESCE(failing_since, @started) <= now() - @window) AS dies
                FROM sync.jobs
                WHERE job_id = @job_id AND fence = @fence AND state = 'running'
                FOR UPDATE),
            finished AS (
                UPDATE sync.jobs j
                SET state = CASE WHEN @kind = 'completed' AND NOT c.rerun THEN 'done'
                                 WHEN c.dies AND NOT c.rerun THEN 'dead'
                                 ELSE 'pending' END,
                    attempt = CASE WHEN @kind = 'completed' AND c.rerun THEN 0 ELSE j.attempt END,
                    failures = CASE WHEN @kind = 'completed' OR (@kind = 'retry' AND @progress) THEN 0
                                    WHEN @kind = 'retry' THEN c.failures + 1
                                    ELSE c.failures END,
                    failing_since = CASE WHEN @kind = 'completed' OR (@kind = 'retry' AND @progress) OR (c.dies AND c.rerun) THEN NULL
                                         WHEN @kind = 'retry' THEN COALESCE(c.failing_since, @started)
                                         ELSE c.failing_since END,
                    dead_at = CASE WHEN c.dies AND NOT c.rerun THEN now() END,
                    death = CASE WHEN c.dies AND NOT c.rerun THEN CASE WHEN @kind = 'dead' THEN 'permanent' ELSE 'window' END END,
                    rerun = false, run_after = now() + @delay, lease_owner = NULL, lease_until = NULL, claims_without_outcome = 0,
                    last_error = CASE WHEN @kind = 'completed' THEN NULL ELSE @error END, updated_at = now()
                FROM current c
                WHERE j.job_id = c.job_id
                RETURNING j.state),
            logged AS ({AttemptLog.InsertSql("FROM finished")})
            SELECT f.state, (SELECT attempt_id FROM logged) FROM finished f
            """);
        command.Parameters.AddWithValue("kind", transition switch
        {
            JobTransition.Completed => "completed",
            JobTransition.Retry => "retry",
            JobTransition.Defer => "defer",
            JobTransition.HandBack => "handback",
            JobTransition.Dead => "dead",
            _ => throw new ArgumentOutOfRangeException(nameof(transition)),
        });
        command.Parameters.AddWithValue("progress", progress);
        command.Parameters.AddWithValue("started", attemptStarted);
        command.Parameters.AddWithValue("window", retryWindow);
        command.Parameters.AddWithValue("delay", delay);
        command.Parameters.AddWithValue("error", NpgsqlDbType.Text, (object?)error ?? DBNull.Value);
        command.Parameters.AddWithValue("job_id", job.JobId);
        command.Parameters.AddWithValue("fence", job.Fence);
        AttemptLog.Bind(command.Parameters, attempt);
        return command;
    }

    /// <summary>
    /// Dead jobs whose conversation has had no job since and that no operator dismissed, newest first: what still
    /// needs an operator. With <paramref name="dismissed"/>, the dismissed ones instead, newest dismissal first.
    /// </summary>
    public async Task<IReadOnlyList<DeadJob>> ListDeadAsync(int limit, CancellationToken cancellationToken, bool dismissed = false)
    {
        await using var command = db.CreateCommand(dismissed
            ? DismissedJobsSql + " ORDER BY j.dismissed_at DESC, j.job_id DESC LIMIT @limit"
            : DeadJobsSql + " ORDER BY j.dead_at DESC, j.job_id DESC LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit);
        var dead = new List<DeadJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            dead.Add(new DeadJob(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? "" : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : new Dismissal(reader.GetFieldValue<DateTimeOffset>(7), reader.GetString(8), reader.GetString(9))));
        }

        return dead;
    }

    /// <summary>
    /// Dismisses the dead jobs waiting for an operator that match: one job, a conversation's, or every one that died for
    /// exactly <paramref name="reason"/>. Returns the jobs dismissed (none when nothing matched).
    /// </summary>
    public async Task<IReadOnlyList<long>> DismissDeadAsync(long? jobId, string? conversationId, string? reason, string by, string note, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            UPDATE sync.jobs SET dismissed_at = now(), dismissed_by = @by, dismissal_note = @note, updated_at = now()
            WHERE job_id IN (
                SELECT j.job_id FROM sync.jobs j
                WHERE {WaitingDead}
                  AND (@job_id::bigint IS NULL OR j.job_id = @job_id)
                  AND (@conversation_id::text IS NULL OR j.conversation_id = @conversation_id)
                  AND (@reason::text IS NULL OR j.last_error = @reason))
            RETURNING job_id
            """);
        command.Parameters.AddWithValue("by", by);
        command.Parameters.AddWithValue("note", note);
        command.Parameters.AddWithValue("job_id", NpgsqlDbType.Bigint, (object?)jobId ?? DBNull.Value);
        command.Parameters.AddWithValue("conversation_id", NpgsqlDbType.Text, (object?)conversationId ?? DBNull.Value);
        command.Parameters.AddWithValue("reason", NpgsqlDbType.Text, (object?)reason ?? DBNull.Value);
        var dismissed = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            dismissed.Add(reader.GetInt64(0));
        }

        return dismissed;
    }

    /// <summary>
    /// Queues a fresh job for the conversation of every dead job in <see cref="ListDeadAsync"/> (only those
    /// that died for exactly <paramref name="reason"/> when given); returns the new jobs.
    /// </summary>
    public async Task<IReadOnlyList<QueuedJob>> RetryDeadAsync(string? reason, string? traceParent, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var conversations = new List<string>();
        await using (var dead = new NpgsqlCommand(DeadJobsSql + " AND (@reason::text IS NULL OR j.last_error = @reason)", connection, tx))
        {
            dead.Parameters.AddWithValue("reason", NpgsqlDbType.Text, (object?)reason ?? DBNull.Value);
            await using var reader = await dead.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                conversations.Add(reader.GetString(1));
            }
        }

        var queued = new List<QueuedJob>();
        foreach (var conversationId in conversations)
        {
            queued.Add(await UpsertJobAsync(connection, tx, conversationId, SyncTrigger.Retry, traceParent, clock.GetUtcNow(), cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return queued;
    }

    private const string LatestOfItsConversation = "NOT EXISTS (SELECT 1 FROM sync.jobs n WHERE n.conversation_id = j.conversation_id AND n.job_id > j.job_id)";

    /// <summary>
    /// A dead job <c>j</c> that waits for an operator: its conversation has had no job since, and no operator
    /// dismissed it. The dead-jobs list, Retry, the gauge and alert, and the reconciler's revival all mean this.
    /// </summary>
    public const string WaitingDead = $"j.state = 'dead' AND j.dismissed_at IS NULL AND {LatestOfItsConversation}";

    private const string DeadJobsSelect = """
        SELECT j.job_id, j.conversation_id, t.ticket_id, j.attempt, j.last_error, COALESCE(j.dead_at, j.updated_at), j.created_at,
               j.dismissed_at, j.dismissed_by, j.dismissal_note
        FROM sync.jobs j LEFT JOIN sync.tickets t ON t.conversation_id = j.conversation_id
        """;

    private const string DeadJobsSql = $"{DeadJobsSelect} WHERE {WaitingDead}";

    private const string DismissedJobsSql = $"{DeadJobsSelect} WHERE j.state = 'dead' AND j.dismissed_at IS NOT NULL AND {LatestOfItsConversation}";

    public async Task<JobInfo?> GetJobAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(JobInfoSql + " WHERE job_id = @job_id");
        command.Parameters.AddWithValue("job_id", jobId);
        return await ReadJobAsync(command, cancellationToken);
    }

    /// <summary>The conversation's active job if any, else its latest.</summary>
    public async Task<JobInfo?> GetLatestJobAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(JobInfoSql + " WHERE conversation_id = @conversation_id ORDER BY (state IN ('pending', 'running')) DESC, job_id DESC LIMIT 1");
        command.Parameters.AddWithValue("conversation_id", conversationId);
        return await ReadJobAsync(command, cancellationToken);
    }

    /// <summary>Stops (or resumes) claiming on every replica: the claim reads sync.control. Running attempts finish.</summary>
    public async Task SetPausedAsync(bool paused, string reason, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE sync.control SET paused = @paused, paused_reason = @reason, changed_at = now()");
        command.Parameters.AddWithValue("paused", paused);
        command.Parameters.AddWithValue("reason", paused ? reason : "");
        await command.ExecuteNonQueryAsync(cancellationToken);
        if (!paused)
        {
            await using var wake = db.CreateCommand($"NOTIFY {NotifyChannel}");
            await wake.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private const string JobInfoSql = "SELECT job_id, conversation_id, state, attempt, last_error, run_after, dismissed_at, dismissed_by, dismissal_note FROM sync.jobs";

    private static async Task<JobInfo?> ReadJobAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new JobInfo(
            reader.GetInt64(0),
            reader.GetString(1),
            DbNames.Parse<JobState>(reader.GetString(2)),
            reader.GetInt32(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : new Dismissal(reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), reader.GetString(8)));
    }

    /// <summary>The job upsert for one conversation, for a batch of them (<see cref="InboxWriter"/>); returns job_id, inserted.</summary>
    private static NpgsqlBatchCommand UpsertJobCommand(string conversationId, SyncTrigger trigger, string? traceParent, DateTimeOffset? eventAt) => new(UpsertJobSql)
    {
        Parameters =
        {
            new("conversation_id", conversationId),
            new("trigger", trigger.ToDb()),
            new("traceparent", NpgsqlDbType.Text) { Value = (object?)traceParent ?? DBNull.Value },
            new("event_at", NpgsqlDbType.TimestampTz) { Value = (object?)eventAt ?? DBNull.Value },
        },
    };

    internal static async Task<QueuedJob> UpsertJobAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string conversationId, SyncTrigger trigger, string? traceParent, DateTimeOffset? eventAt, CancellationToken cancellationToken)
    {
        // The NOTIFY wakes idle workers on every replica as soon as the transaction commits.
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands = { UpsertJobCommand(conversationId, trigger, traceParent, eventAt), new NpgsqlBatchCommand($"NOTIFY {NotifyChannel}") },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var job = new QueuedJob(reader.GetInt64(0), Coalesced: !reader.GetBoolean(1));
        return job;
    }
}
