using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Data;

/// <summary>What Ferry knows of one conversation, for comparing with the vendors.</summary>
/// <param name="TicketId">Null when the conversation has no ticket.</param>
/// <param name="PartsTotal">Parts (the opening message included) the last sync saw.</param>
/// <param name="IntercomState">The conversation state last seen in step with the ticket (null before the first status sync).</param>
/// <param name="JobState">The conversation's active job's state, else its latest job's; null when it never had one.</param>
/// <param name="JobFinishedAt">When the latest job last changed (finished, for a done or dead job).</param>
/// <param name="Death">Why the latest job died ('permanent', 'window', 'crash-loop'), when it is dead.</param>
public sealed record ConversationRecord(
    string ConversationId,
    long? TicketId,
    int PartsTotal,
    string? IntercomState,
    string? ZendeskStatus,
    JobState? JobState,
    DateTimeOffset? JobFinishedAt,
    string? Death,
    string? LastError);

/// <summary>A linked ticket the deep pass reads back.</summary>
public sealed record LinkedTicket(string ConversationId, long TicketId, string? ZendeskStatus, JobState? JobState);

/// <summary>A dead job whose cause may have cleared: it died of transient faults, and Ferry has synced since.</summary>
public sealed record ClearedDeadJob(long JobId, string ConversationId, long? TicketId, string Reason, DateTimeOffset DiedAt);

/// <summary>
/// The reconciler's view of sync.*: its progress per pass (whose row lock keeps one pass of a kind
/// running across replicas), Ferry's records to compare with the vendors, and each finding recorded
/// with the job it queues in one transaction.
/// </summary>
public sealed class ReconcileStore(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>
    /// Takes the pass's row lock, or null when another replica holds it (or, unless <paramref name="wait"/>,
    /// when a pass ran less than <paramref name="minGap"/> ago). With <paramref name="wait"/> it waits for a running pass.
    /// </summary>
    public async Task<ReconcilePass?> TryBeginAsync(string pass, TimeSpan minGap, bool wait, CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            var tx = await connection.BeginTransactionAsync(cancellationToken);
            await using var select = new NpgsqlCommand(
                $"SELECT watermark, last_run_at FROM sync.reconciler WHERE pass = @pass FOR UPDATE{(wait ? "" : " SKIP LOCKED")}", connection, tx);
            select.Parameters.AddWithValue("pass", pass);
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    var watermark = reader.IsDBNull(0) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(0);
                    var lastRun = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
                    if (wait || lastRun is null || lastRun <= clock.GetUtcNow() - minGap)
                    {
                        return new ReconcilePass(connection, tx, pass, watermark);
                    }
                }
            }

            await tx.RollbackAsync(cancellationToken);
            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ferry's records of these conversations (absent: never seen).</summary>
    public async Task<IReadOnlyDictionary<string, ConversationRecord>> LookupAsync(IReadOnlyCollection<string> conversationIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT c.id, t.ticket_id, COALESCE(t.parts_total, 0), t.intercom_state, t.zendesk_status, j.state, j.updated_at, j.death, j.last_error
            FROM unnest(@ids) AS c(id)
            LEFT JOIN sync.tickets t ON t.conversation_id = c.id
            LEFT JOIN LATERAL (
                SELECT state, updated_at, death, last_error FROM sync.jobs
                WHERE conversation_id = c.id
                ORDER BY (state IN ('pending', 'running')) DESC, job_id DESC
                LIMIT 1) j ON true
            WHERE t.ticket_id IS NOT NULL OR j.state IS NOT NULL
            """);
        command.Parameters.AddWithValue("ids", conversationIds.ToArray());
        var records = new Dictionary<string, ConversationRecord>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var record = new ConversationRecord(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetInt64(1),
                reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : DbNames.Parse<JobState>(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8));
            records[record.ConversationId] = record;
        }

        return records;
    }

    /// <summary>
    /// Dead jobs waiting for an operator that died of transient faults (retry window used up, crash loop)
    /// longer than <paramref name="retryWindow"/> ago, when some sync has succeeded since: the vendors answer again.
    /// </summary>
    public async Task<IReadOnlyList<ClearedDeadJob>> ClearedDeadJobsAsync(TimeSpan retryWindow, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            SELECT j.job_id, j.conversation_id, t.ticket_id, COALESCE(j.last_error, ''), j.dead_at
            FROM sync.jobs j LEFT JOIN sync.tickets t ON t.conversation_id = j.conversation_id
            WHERE {JobStore.WaitingDead} AND j.death IN ('window', 'crash-loop') AND j.dead_at < now() - @window
              AND EXISTS (SELECT 1 FROM sync.attempts a WHERE a.finished_at > j.dead_at AND a.outcome = 'success')
            ORDER BY j.dead_at
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("window", retryWindow);
        command.Parameters.AddWithValue("limit", limit);
        var jobs = new List<ClearedDeadJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new ClearedDeadJob(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return jobs;
    }

    /// <summary>The linked tickets checked least recently (marked checked now, unless a dry run only looks), but those of conversations deleted in Intercom.</summary>
    public async Task<IReadOnlyList<LinkedTicket>> SampleLinkedAsync(int count, bool markChecked, CancellationToken cancellationToken)
    {
        // A ticket whose conversation Intercom deleted on purpose is left as agents keep it: no sync can change it again.
        const string Sample = "SELECT conversation_id FROM sync.tickets WHERE deleted_in_intercom_at IS NULL ORDER BY deep_checked_at NULLS FIRST, conversation_id LIMIT @count";
        await using var command = db.CreateCommand((markChecked
            ? $"WITH s AS (UPDATE sync.tickets SET deep_checked_at = now() WHERE conversation_id IN ({Sample}) RETURNING conversation_id, ticket_id, zendesk_status) "
            : $"WITH s AS (SELECT conversation_id, ticket_id, zendesk_status FROM sync.tickets WHERE conversation_id IN ({Sample})) ") + """
            SELECT s.conversation_id, s.ticket_id, s.zendesk_status,
                   (SELECT state FROM sync.jobs j WHERE j.conversation_id = s.conversation_id ORDER BY (state IN ('pending', 'running')) DESC, job_id DESC LIMIT 1)
            FROM s ORDER BY s.conversation_id
            """);
        command.Parameters.AddWithValue("count", count);
        var tickets = new List<LinkedTicket>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tickets.Add(new LinkedTicket(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : DbNames.Parse<JobState>(reader.GetString(3))));
        }

        return tickets;
    }

    /// <summary>The ledger's parts that became a known Zendesk comment of this ticket: part id → comment id.</summary>
    public async Task<IReadOnlyDictionary<string, long>> LedgerCommentsAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT part_id, zendesk_comment_id FROM sync.synced_parts
            WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id AND zendesk_comment_id IS NOT NULL
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("ticket_id", ticketId);
        var comments = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            comments[reader.GetString(0)] = reader.GetInt64(1);
        }

        return comments;
    }

    /// <summary>
    /// Queues a sync for the finding and logs it (outcome 'finding') in one transaction. Parts in
    /// <paramref name="forgetParts"/> leave the ledger first, so the sync writes them again; that happens
    /// only while no attempt runs for the conversation (else nothing is recorded: the next pass looks again).
    /// Returns the job, or null when skipped for a running attempt.
    /// </summary>
    public async Task<QueuedJob?> RecordFindingAsync(string kind, string conversationId, long? ticketId, string detail, IReadOnlyList<string> forgetParts, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (forgetParts.Count > 0)
        {
            await using var forget = new NpgsqlCommand("""
                WITH idle AS (
                    SELECT NOT EXISTS (SELECT 1 FROM sync.jobs WHERE conversation_id = @conversation_id AND state = 'running') AS ok)
                DELETE FROM sync.synced_parts
                WHERE conversation_id = @conversation_id AND part_id = ANY(@part_ids) AND (SELECT ok FROM idle)
                """, connection, tx);
            forget.Parameters.AddWithValue("conversation_id", conversationId);
            forget.Parameters.AddWithValue("part_ids", forgetParts.ToArray());
            if (await forget.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await tx.RollbackAsync(cancellationToken);
                return null;
            }
        }

        var job = await JobStore.UpsertJobAsync(connection, tx, conversationId, SyncTrigger.Reconcile, null, clock.GetUtcNow(), cancellationToken);
        var now = clock.GetUtcNow();
        await AttemptLog.RecordAsync(connection, tx, new AttemptRecord(
            0, job.JobId, 0, conversationId, ticketId, SyncTrigger.Reconcile, AttemptOutcome.Finding, $"{kind}: {detail}",
            AttemptLog.IntercomToZendesk, 0, 0, now, Origin: "ferry"), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return job;
    }
}

/// <summary>A running pass: holds its row lock until completed (watermark and result saved) or disposed (nothing saved).</summary>
public sealed class ReconcilePass(NpgsqlConnection connection, NpgsqlTransaction tx, string pass, DateTimeOffset? watermark) : IAsyncDisposable
{
    public DateTimeOffset? Watermark { get; } = watermark;

    public async Task CompleteAsync(DateTimeOffset? newWatermark, string result, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE sync.reconciler SET watermark = COALESCE(@watermark, watermark), last_run_at = now(), last_result = @result WHERE pass = @pass", connection, tx);
        update.Parameters.AddWithValue("watermark", NpgsqlDbType.TimestampTz, (object?)newWatermark ?? DBNull.Value);
        update.Parameters.AddWithValue("result", result);
        update.Parameters.AddWithValue("pass", pass);
        await update.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await tx.DisposeAsync();
        await connection.DisposeAsync();
    }
}
