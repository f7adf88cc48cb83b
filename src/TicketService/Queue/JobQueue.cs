using Ferry.TicketService.Attempts;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Queue;

/// <summary>
/// The durable queue in Postgres (schema sync). Deliveries and jobs are written in one transaction;
/// workers claim with FOR UPDATE SKIP LOCKED and a lease, and every later write is fenced by the
/// attempt number, so a worker that lost its lease cannot complete or fail a job another worker holds.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>
    /// Fences a write made during an attempt: locks the job row if this attempt still owns it, else
    /// throws <see cref="LeaseLostException"/> and the caller's transaction rolls back.
    /// </summary>
    public static async Task EnsureOwnedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ClaimedJob job, CancellationToken cancellationToken)
    {
        await using var fence = new NpgsqlCommand(
            "SELECT 1 FROM sync.jobs WHERE job_id = @job_id AND attempt = @attempt AND state = 'running' FOR SHARE", connection, tx);
        fence.Parameters.AddWithValue("job_id", job.JobId);
        fence.Parameters.AddWithValue("attempt", job.Attempt);
        if (await fence.ExecuteScalarAsync(cancellationToken) is null)
        {
            throw new LeaseLostException(job.JobId);
        }
    }

    public const string NotifyChannel = "ferry_sync_jobs";

    // Inserts the job, or folds the request into the conversation's active job. A job that is
    // running gets `rerun`, so the worker re-reads the conversation after it finishes.
    private const string UpsertJobSql = """
        INSERT INTO sync.jobs (conversation_id, trigger, traceparent, first_event_at)
        VALUES (@conversation_id, @trigger, @traceparent, @event_at)
        ON CONFLICT (conversation_id) WHERE state IN ('pending', 'running')
        DO UPDATE SET rerun = sync.jobs.rerun OR sync.jobs.state = 'running',
                      first_event_at = LEAST(sync.jobs.first_event_at, EXCLUDED.first_event_at),
                      updated_at = now()
        RETURNING job_id, (xmax = 0) AS inserted
        """;

    /// <param name="ignored">Logged (once, with the delivery) when the delivery queues nothing, so the operator sees why.</param>
    public async Task<EnqueueResult> EnqueueAsync(Delivery delivery, bool queuesSync, CancellationToken cancellationToken, AttemptRecord? ignored = null)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        await using (var insert = new NpgsqlCommand("""
            INSERT INTO sync.inbox (source, delivery_id, topic, conversation_id, ticket_id, event_at, payload)
            VALUES (@source, @delivery_id, @topic, @conversation_id, @ticket_id, @event_at, @payload)
            ON CONFLICT (source, delivery_id) DO NOTHING
            """, connection, tx))
        {
            insert.Parameters.AddWithValue("source", delivery.Source);
            insert.Parameters.AddWithValue("delivery_id", delivery.DeliveryId);
            insert.Parameters.AddWithValue("topic", delivery.Topic);
            insert.Parameters.AddWithValue("conversation_id", NpgsqlDbType.Text, (object?)delivery.ConversationId ?? DBNull.Value);
            insert.Parameters.AddWithValue("ticket_id", NpgsqlDbType.Bigint, (object?)delivery.TicketId ?? DBNull.Value);
            insert.Parameters.AddWithValue("event_at", NpgsqlDbType.TimestampTz, (object?)delivery.EventAt ?? DBNull.Value);
            insert.Parameters.AddWithValue("payload", NpgsqlDbType.Bytea, delivery.Payload.ToArray());
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await tx.RollbackAsync(cancellationToken);
                return new EnqueueResult(await DeliveryJobAsync(delivery, cancellationToken), Duplicate: true, Ignored: false);
            }
        }

        if (!queuesSync || string.IsNullOrEmpty(delivery.ConversationId))
        {
            if (ignored is not null)
            {
                await AttemptLog.RecordAsync(connection, tx, ignored, cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            return new EnqueueResult(0, Duplicate: false, Ignored: true);
        }

        var job = await UpsertJobAsync(connection, tx, delivery.ConversationId, SyncTrigger.Webhook, delivery.TraceParent, delivery.EventAt, cancellationToken);
        await using (var link = new NpgsqlCommand("UPDATE sync.inbox SET job_id = @job_id WHERE source = @source AND delivery_id = @delivery_id", connection, tx))
        {
            link.Parameters.AddWithValue("job_id", job.JobId);
            link.Parameters.AddWithValue("source", delivery.Source);
            link.Parameters.AddWithValue("delivery_id", delivery.DeliveryId);
            await link.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new EnqueueResult(job.JobId, Duplicate: false, Ignored: false);
    }

    public async Task<QueuedJob> RequestAsync(string conversationId, SyncTrigger trigger, string? traceParent, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var job = await UpsertJobAsync(connection, tx, conversationId, trigger, traceParent, clock.GetUtcNow(), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>Claims the next due job (or one whose lease expired), or null when none is due.</summary>
    public async Task<ClaimedJob?> ClaimAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            UPDATE sync.jobs j
            SET state = 'running', attempt = j.attempt + 1, lease_owner = @worker,
                lease_until = now() + @lease, updated_at = now()
            WHERE j.job_id = (
                SELECT job_id FROM sync.jobs
                WHERE (state = 'pending' AND run_after <= now())
                   OR (state = 'running' AND lease_until < now())
                ORDER BY run_after
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING j.job_id, j.conversation_id, j.attempt, j.trigger, j.traceparent, j.first_event_at
            """);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.AddWithValue("lease", lease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ClaimedJob(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetInt32(2),
            SyncTriggerNames.ParseTrigger(reader.GetString(3)),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
    }

    /// <summary>Extends the lease; false when the job is no longer ours (fenced out).</summary>
    public async Task<bool> RenewLeaseAsync(ClaimedJob job, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            UPDATE sync.jobs SET lease_until = now() + @lease
            WHERE job_id = @job_id AND attempt = @attempt AND state = 'running'
            """);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("job_id", job.JobId);
        command.Parameters.AddWithValue("attempt", job.Attempt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Marks the job done inside the caller's transaction (the one that also writes the ticket link,
    /// ledger and attempt row). Returns false when the lease was lost: the caller must roll back.
    /// A job that received events while running goes back to pending instead.
    /// </summary>
    public static async Task<bool> CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ClaimedJob job, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE sync.jobs
            SET state = CASE WHEN rerun THEN 'pending' ELSE 'done' END,
                attempt = CASE WHEN rerun THEN 0 ELSE attempt END,
                rerun = false, run_after = now(), lease_owner = NULL, lease_until = NULL,
                last_error = NULL, updated_at = now()
            WHERE job_id = @job_id AND attempt = @attempt AND state = 'running'
            """, connection, tx);
        command.Parameters.AddWithValue("job_id", job.JobId);
        command.Parameters.AddWithValue("attempt", job.Attempt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Puts a failed job back with a delay, or makes it dead after the last attempt. A deferral
    /// (rate limit) gives the attempt back so it never counts towards dead.
    /// Returns the resulting state, or null when the lease was lost.
    /// </summary>
    public static async Task<JobState?> FailAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, ClaimedJob job, string error, TimeSpan delay, bool deferral, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE sync.jobs
            SET state = CASE WHEN NOT @deferral AND attempt >= @max_attempts THEN 'dead' ELSE 'pending' END,
                attempt = CASE WHEN @deferral THEN attempt - 1 ELSE attempt END,
                run_after = now() + @delay, lease_owner = NULL, lease_until = NULL,
                last_error = @error, updated_at = now()
            WHERE job_id = @job_id AND attempt = @attempt AND state = 'running'
            RETURNING state
            """, connection, tx);
        command.Parameters.AddWithValue("deferral", deferral);
        command.Parameters.AddWithValue("max_attempts", maxAttempts);
        command.Parameters.AddWithValue("delay", delay);
        command.Parameters.AddWithValue("error", error);
        command.Parameters.AddWithValue("job_id", job.JobId);
        command.Parameters.AddWithValue("attempt", job.Attempt);
        var state = await command.ExecuteScalarAsync(cancellationToken);
        return state is string s ? SyncTriggerNames.ParseState(s) : null;
    }

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

    /// <summary>Queue statistics for metrics: pending+running count and the oldest pending job's age.</summary>
    public async Task<(long Depth, TimeSpan OldestAge)> GetDepthAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)
            FROM sync.jobs WHERE state IN ('pending', 'running')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), TimeSpan.FromSeconds((double)reader.GetDecimal(1)));
    }

    private const string JobInfoSql = "SELECT job_id, conversation_id, state, attempt, last_error, run_after FROM sync.jobs";

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
            SyncTriggerNames.ParseState(reader.GetString(2)),
            reader.GetInt32(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.GetFieldValue<DateTimeOffset>(5));
    }

    private async Task<long> DeliveryJobAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT job_id FROM sync.inbox WHERE source = @source AND delivery_id = @delivery_id");
        command.Parameters.AddWithValue("source", delivery.Source);
        command.Parameters.AddWithValue("delivery_id", delivery.DeliveryId);
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : 0;
    }

    private static async Task<QueuedJob> UpsertJobAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string conversationId, SyncTrigger trigger, string? traceParent, DateTimeOffset? eventAt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(UpsertJobSql, connection, tx);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("trigger", trigger.ToDb());
        command.Parameters.AddWithValue("traceparent", NpgsqlDbType.Text, (object?)traceParent ?? DBNull.Value);
        command.Parameters.AddWithValue("event_at", NpgsqlDbType.TimestampTz, (object?)eventAt ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var job = new QueuedJob(reader.GetInt64(0), Coalesced: !reader.GetBoolean(1));
        await reader.CloseAsync();

        // Wakes idle workers on every replica as soon as the transaction commits.
        await using var notify = new NpgsqlCommand($"NOTIFY {NotifyChannel}", connection, tx);
        await notify.ExecuteNonQueryAsync(cancellationToken);
        return job;
    }
}
