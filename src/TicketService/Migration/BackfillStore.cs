using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Migration;

/// <summary>A stored run: its selection, the cursor of the page to work on next, and its figures so far.</summary>
public sealed record BackfillRun(string RunId, BulkPlan Plan, string? Cursor, BackfillFigures Figures, string State);

/// <summary>A create_many of a run not known to have ended: its conversations in request order, and its job once Zendesk answered.</summary>
public sealed record BackfillJob(long Id, string? JobId, IReadOnlyList<string> ConversationIds);

/// <summary>
/// sync.backfill_runs (the checkpoint), and the per-conversation hold a batch takes in sync.jobs: a
/// running job owned by the run, so a live webhook for a held conversation coalesces into it (rerun) and
/// runs after the import is recorded, appending to the imported ticket instead of creating one.
/// </summary>
public sealed class BackfillStore(NpgsqlDataSource db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<BackfillRun> CreateAsync(BulkPlan plan, CancellationToken cancellationToken)
    {
        var run = new BackfillRun($"bulk-{Guid.NewGuid():N}", plan, null, new BackfillFigures(), "running");
        await using var command = db.CreateCommand("INSERT INTO sync.backfill_runs (run_id, plan) VALUES (@run_id, @plan)");
        command.Parameters.AddWithValue("run_id", run.RunId);
        command.Parameters.AddWithValue("plan", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(plan, Json));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return run;
    }

    public async Task<BackfillRun?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT plan::text, cursor, figures::text, state FROM sync.backfill_runs WHERE run_id = @run_id");
        command.Parameters.AddWithValue("run_id", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BackfillRun(runId, JsonSerializer.Deserialize<BulkPlan>(reader.GetString(0), Json)!, reader.IsDBNull(1) ? null : reader.GetString(1),
                JsonSerializer.Deserialize<BackfillFigures>(reader.GetString(2), Json) ?? new BackfillFigures(), reader.GetString(3))
            : null;
    }

    /// <summary>Moves the checkpoint (after the page's conversations are in the ledger) and stores the figures.</summary>
    public async Task SaveAsync(string runId, string? cursor, BackfillFigures figures, string state, string? error, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            UPDATE sync.backfill_runs SET cursor = @cursor, figures = @figures, state = @state, last_error = @error, updated_at = now()
            WHERE run_id = @run_id
            """);
        command.Parameters.AddWithValue("run_id", runId);
        command.Parameters.AddWithValue("cursor", NpgsqlDbType.Text, (object?)cursor ?? DBNull.Value);
        command.Parameters.AddWithValue("figures", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(figures, Json));
        command.Parameters.AddWithValue("state", state);
        command.Parameters.AddWithValue("error", NpgsqlDbType.Text, (object?)error ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Of <paramref name="conversationIds"/>, those with a ticket already (synced live or by an earlier run).</summary>
    public Task<HashSet<string>> LinkedAsync(IReadOnlyList<string> conversationIds, CancellationToken cancellationToken) =>
        IdsAsync("SELECT conversation_id FROM sync.tickets WHERE conversation_id = ANY(@ids)", conversationIds, cancellationToken);

    /// <summary>Of <paramref name="conversationIds"/>, those with a ticket: true when a bulk run imported it, false when live sync made it.</summary>
    public async Task<Dictionary<string, bool>> ImportedAsync(IReadOnlyList<string> conversationIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT conversation_id, backfill_run IS NOT NULL FROM sync.tickets WHERE conversation_id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", conversationIds.ToArray());
        var imported = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            imported[reader.GetString(0)] = reader.GetBoolean(1);
        }

        return imported;
    }

    /// <summary>Of <paramref name="conversationIds"/>, those a live job is queued or running for (the dry run's view of what a hold would miss).</summary>
    public Task<HashSet<string>> ActiveAsync(IReadOnlyList<string> conversationIds, CancellationToken cancellationToken) =>
        IdsAsync("SELECT conversation_id FROM sync.jobs WHERE conversation_id = ANY(@ids) AND state IN ('pending', 'running')", conversationIds, cancellationToken);

    /// <summary>
    /// Holds each conversation that has no active job and no ticket, as a running job of the run's (lease
    /// <paramref name="lease"/>: a run that dies hands its held conversations to live sync when it
    /// expires, which adopts an imported ticket by external_id). Those with an active job are live sync's.
    /// </summary>
    /// <remarks>
    /// Live sync may finish a conversation after the batch looked for its ticket, and even after this insert's
    /// snapshot was taken: its job is no longer active, so nothing conflicts. The ledger commit comes before the
    /// job ends, so once the holds are inserted a second statement (a later snapshot) sees every such ticket, and
    /// those holds are dropped before anyone can see them. Held, a conversation cannot be linked by anyone else.
    /// </remarks>
    public async Task<Dictionary<string, ClaimedJob>> HoldAsync(IReadOnlyList<string> conversationIds, string runId, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var held = new Dictionary<string, ClaimedJob>(StringComparer.Ordinal);
        await using (var hold = new NpgsqlCommand("""
            INSERT INTO sync.jobs (conversation_id, trigger, state, attempt, fence, lease_owner, lease_until)
            SELECT id, 'backfill', 'running', 1, 1, @owner, now() + @lease FROM unnest(@ids) AS c(id)
            WHERE NOT EXISTS (SELECT 1 FROM sync.tickets t WHERE t.conversation_id = c.id)
            ON CONFLICT (conversation_id) WHERE state IN ('pending', 'running') DO NOTHING
            RETURNING job_id, conversation_id
            """, connection, tx))
        {
            hold.Parameters.AddWithValue("ids", conversationIds.ToArray());
            hold.Parameters.AddWithValue("owner", runId);
            hold.Parameters.AddWithValue("lease", lease);
            await using var reader = await hold.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held[reader.GetString(1)] = new ClaimedJob(reader.GetInt64(0), reader.GetString(1), 1, 1, SyncTrigger.Backfill, null, null);
            }
        }

        if (held.Count > 0)
        {
            await using var linkedMeanwhile = new NpgsqlCommand("""
                DELETE FROM sync.jobs j WHERE j.job_id = ANY(@ids)
                AND EXISTS (SELECT 1 FROM sync.tickets t WHERE t.conversation_id = j.conversation_id)
                RETURNING j.conversation_id
                """, connection, tx);
            linkedMeanwhile.Parameters.AddWithValue("ids", held.Values.Select(j => j.JobId).ToArray());
            await using var reader = await linkedMeanwhile.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held.Remove(reader.GetString(0));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return held;
    }

    /// <summary>The conversations <paramref name="runId"/> holds still (after its process died: its pages in flight then), while their lease lasts.</summary>
    public async Task<IReadOnlyList<ClaimedJob>> HeldAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT job_id, conversation_id FROM sync.jobs
            WHERE lease_owner = @owner AND state = 'running' AND fence = 1 AND trigger = 'backfill' AND lease_until > now()
            """);
        command.Parameters.AddWithValue("owner", runId);
        var held = new List<ClaimedJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add(new ClaimedJob(reader.GetInt64(0), reader.GetString(1), 1, 1, SyncTrigger.Backfill, null, null));
        }

        return held;
    }

    /// <summary>Extends the holds while their batch works (a batch may outlast one lease, e.g. waiting out 429s); a dead run stops renewing.</summary>
    public async Task RenewAsync(IReadOnlyCollection<ClaimedJob> jobs, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            UPDATE sync.jobs SET lease_until = now() + @lease
            WHERE job_id = ANY(@ids) AND fence = 1 AND state = 'running'
            """);
        command.Parameters.AddWithValue("ids", jobs.Select(j => j.JobId).ToArray());
        command.Parameters.AddWithValue("lease", lease);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the holds: done, or pending at once when a live event arrived meanwhile (it then appends to the
    /// imported ticket) or when <paramref name="handToLiveSync"/> (the batch did not record it).
    /// </summary>
    public async Task ReleaseAsync(IEnumerable<ClaimedJob> jobs, bool handToLiveSync, CancellationToken cancellationToken)
    {
        var ids = jobs.Select(j => j.JobId).ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        await using var command = db.CreateCommand("""
            UPDATE sync.jobs
            SET state = CASE WHEN rerun OR @hand_over THEN 'pending' ELSE 'done' END, attempt = 0, rerun = false,
                claims_without_outcome = 0, lease_owner = NULL, lease_until = NULL, run_after = now(), updated_at = now()
            WHERE job_id = ANY(@ids) AND fence = 1 AND state = 'running'
            """);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("hand_over", handToLiveSync);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stores a create_many before it is sent (Zendesk may queue it even when its answer never comes).</summary>
    public async Task<long> SubmittingAsync(string runId, IReadOnlyList<string> conversationIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("INSERT INTO sync.backfill_jobs (run_id, conversations) VALUES (@run_id, @ids) RETURNING id");
        command.Parameters.AddWithValue("run_id", runId);
        command.Parameters.AddWithValue("ids", conversationIds.ToArray());
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Zendesk accepted the create_many as job <paramref name="jobId"/> (stored before the run waits on it).</summary>
    public Task SubmittedAsync(long id, string jobId, CancellationToken cancellationToken) =>
        UpdateJobAsync("UPDATE sync.backfill_jobs SET job_id = @job_id WHERE id = @id", id, jobId, cancellationToken);

    /// <summary>The job ended (or was never taken): Zendesk makes no more tickets for it, so external_id lookups are final.</summary>
    public Task FinishedAsync(long id, CancellationToken cancellationToken) =>
        UpdateJobAsync("UPDATE sync.backfill_jobs SET finished_at = now() WHERE id = @id", id, null, cancellationToken);

    /// <summary>The run's create_many jobs not known to have ended.</summary>
    public async Task<IReadOnlyList<BackfillJob>> UnfinishedJobsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, job_id, conversations FROM sync.backfill_jobs WHERE run_id = @run_id AND finished_at IS NULL ORDER BY id");
        command.Parameters.AddWithValue("run_id", runId);
        var jobs = new List<BackfillJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new BackfillJob(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<string[]>(2)));
        }

        return jobs;
    }

    /// <summary>Create_many jobs not known to have ended whose batch holds <paramref name="conversationId"/>, with when each was sent.</summary>
    public async Task<IReadOnlyList<(BackfillJob Job, DateTimeOffset SubmittedAt)>> UnfinishedJobsForAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT id, job_id, conversations, submitted_at FROM sync.backfill_jobs
            WHERE finished_at IS NULL AND @conversation_id = ANY(conversations)
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        var jobs = new List<(BackfillJob, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add((new BackfillJob(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<string[]>(2)),
                reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return jobs;
    }

    private async Task UpdateJobAsync(string sql, long id, string? jobId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        if (jobId is not null)
        {
            command.Parameters.AddWithValue("job_id", jobId);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<HashSet<string>> IdsAsync(string sql, IReadOnlyList<string> conversationIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.AddWithValue("ids", conversationIds.ToArray());
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
