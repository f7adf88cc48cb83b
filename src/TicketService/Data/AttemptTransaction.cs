using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Data;

/// <summary>One conversation part as the ledger records it.</summary>
/// <param name="Kind">comment, note or event.</param>
/// <param name="CommentId">The Zendesk comment it became, when known (an update's audit, or recognised in the ticket).</param>
public sealed record LedgerPart(string PartId, string Kind, DateTimeOffset CreatedAt, long? CommentId);

/// <summary>A status change Ferry applied, for sync.status_changes.</summary>
public sealed record StatusChangeRow(string Direction, string OriginStatus, DateTimeOffset? OriginAt, string AppliedStatus, DateTimeOffset? AppliedVersion);

/// <summary>
/// The writes an attempt makes to sync.* between two vendor calls, sent to Postgres as one batch (one
/// round trip, one implicit transaction) led by the job's fence (<see cref="JobStore.Fence"/>): a worker
/// that lost its job cannot write, and what it did write commits with nothing half-done. The attempt's
/// last writes commit with its outcome (<see cref="FinishAsync"/>).
/// </summary>
public sealed class AttemptTransaction : IAsyncDisposable
{
    private readonly NpgsqlBatch _batch;
    private readonly ClaimedJob _job;

    public AttemptTransaction(NpgsqlDataSource db, ClaimedJob job)
    {
        _batch = db.CreateBatch();
        _job = job;
        _batch.BatchCommands.Add(JobStore.Fence(job));
    }

    /// <summary>Links the conversation to the ticket (creating or updating sync.tickets).</summary>
    /// <param name="importedComments">How many comments the import that created the ticket made (they are its oldest).</param>
    public void RecordTicket(long ticketId, string? status, int partsTotal, int partsGap, int? importedComments)
    {
        var upsert = Command("""
            INSERT INTO sync.tickets (conversation_id, ticket_id, status, parts_total, parts_gap, imported_comments)
            VALUES (@conversation_id, @ticket_id, @status, @total, @gap, @imported_comments)
            ON CONFLICT (conversation_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, status = COALESCE(EXCLUDED.status, sync.tickets.status),
                imported_comments = COALESCE(EXCLUDED.imported_comments, sync.tickets.imported_comments),
                parts_total = EXCLUDED.parts_total, parts_gap = EXCLUDED.parts_gap, last_synced_at = now()
            """);
        upsert.Parameters.AddWithValue("ticket_id", ticketId);
        upsert.Parameters.AddWithValue("status", NpgsqlDbType.Text, (object?)status ?? DBNull.Value);
        upsert.Parameters.AddWithValue("total", partsTotal);
        upsert.Parameters.AddWithValue("gap", partsGap);
        upsert.Parameters.AddWithValue("imported_comments", NpgsqlDbType.Integer, (object?)importedComments ?? DBNull.Value);
    }

    /// <summary>Adds parts to the ledger (a part it holds already is left as it is).</summary>
    public void RecordParts(long ticketId, IReadOnlyList<LedgerPart> parts)
    {
        if (parts.Count == 0)
        {
            return;
        }

        var ledger = Command("""
            INSERT INTO sync.synced_parts (conversation_id, part_id, ticket_id, kind, part_created_at, zendesk_comment_id)
            SELECT @conversation_id, part_id, @ticket_id, kind, created_at, comment_id
            FROM unnest(@part_ids, @kinds, @created_ats, @comment_ids) AS p(part_id, kind, created_at, comment_id)
            ON CONFLICT DO NOTHING
            """);
        ledger.Parameters.AddWithValue("ticket_id", ticketId);
        ledger.Parameters.AddWithValue("part_ids", parts.Select(p => p.PartId).ToArray());
        ledger.Parameters.AddWithValue("kinds", parts.Select(p => p.Kind).ToArray());
        ledger.Parameters.AddWithValue("created_ats", parts.Select(p => p.CreatedAt).ToArray());
        ledger.Parameters.AddWithValue("comment_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, parts.Select(p => p.CommentId).ToArray());
    }

    /// <summary>The conversation continues in a follow-up of a closed ticket: a new status history.</summary>
    /// <param name="createdComments">Comments the follow-up's creation made that the ledger accounts for (1: the reply that created it; 0: adopted, so all are to be recognised).</param>
    public void MoveToFollowUp(long closedTicketId, long followUpId, int createdComments)
    {
        var move = Command("""
            UPDATE sync.tickets SET ticket_id = @follow_up, status = NULL, zendesk_status = NULL, imported_comments = @created_comments
            WHERE conversation_id = @conversation_id AND ticket_id = @closed
            """);
        move.Parameters.AddWithValue("follow_up", followUpId);
        move.Parameters.AddWithValue("closed", closedTicketId);
        move.Parameters.AddWithValue("created_comments", createdComments);
    }

    /// <summary>The new in-step status pair, the change Ferry applied (if any), and the deliveries this attempt weighed.</summary>
    public void RecordStatus(long ticketId, string intercomState, string zendeskStatus, StatusChangeRow? change, IReadOnlyList<UncheckedDelivery> weighed)
    {
        var known = Command("""
            UPDATE sync.tickets SET intercom_state = @intercom_state, zendesk_status = @zendesk_status, status = @zendesk_status,
                status_synced_at = now(), last_synced_at = now()
            WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id
            """);
        known.Parameters.AddWithValue("intercom_state", intercomState);
        known.Parameters.AddWithValue("zendesk_status", zendeskStatus);
        known.Parameters.AddWithValue("ticket_id", ticketId);

        if (change is not null)
        {
            var insert = Command("""
                INSERT INTO sync.status_changes (conversation_id, ticket_id, direction, origin_status, origin_at, applied_status, applied_version, job_id, attempt_number)
                VALUES (@conversation_id, @ticket_id, @direction, @origin_status, @origin_at, @applied_status, @applied_version, @job_id, @attempt)
                """);
            insert.Parameters.AddWithValue("ticket_id", ticketId);
            insert.Parameters.AddWithValue("direction", change.Direction);
            insert.Parameters.AddWithValue("origin_status", change.OriginStatus);
            insert.Parameters.AddWithValue("origin_at", NpgsqlDbType.TimestampTz, (object?)change.OriginAt ?? DBNull.Value);
            insert.Parameters.AddWithValue("applied_status", change.AppliedStatus);
            insert.Parameters.AddWithValue("applied_version", NpgsqlDbType.TimestampTz, (object?)change.AppliedVersion ?? DBNull.Value);
            insert.Parameters.AddWithValue("job_id", _job.JobId);
            insert.Parameters.AddWithValue("attempt", _job.Attempt);
        }

        MarkWeighed(weighed);
    }

    /// <summary>Intercom announced the conversation's deletion: its link remembers it after the announcement is purged.</summary>
    public void MarkDeletedInIntercom() =>
        Command("UPDATE sync.tickets SET deleted_in_intercom_at = COALESCE(deleted_in_intercom_at, now()) WHERE conversation_id = @conversation_id");

    /// <summary>Deliveries this attempt has weighed: the next attempt is not about them.</summary>
    public void MarkWeighed(IReadOnlyList<UncheckedDelivery> weighed)
    {
        if (weighed.Count > 0)
        {
            var consumed = Command("""
                UPDATE sync.inbox SET status_checked = true
                FROM unnest(@sources, @delivery_ids) AS d(source, delivery_id)
                WHERE inbox.source = d.source AND inbox.delivery_id = d.delivery_id
                """);
            consumed.Parameters.AddWithValue("sources", weighed.Select(d => d.Source).ToArray());
            consumed.Parameters.AddWithValue("delivery_ids", weighed.Select(d => d.DeliveryId).ToArray());
        }
    }

    /// <summary>Writes everything, or nothing.</summary>
    /// <exception cref="LeaseLostException">The job is no longer this attempt's: nothing was written.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException fenced) when (fenced.SqlState == JobStore.FencedOutState)
        {
            throw new LeaseLostException(_job.JobId);
        }
    }

    /// <summary>
    /// Writes everything with the attempt's end (<see cref="JobStore.Finish"/>: the job's transition and
    /// the attempt row), or nothing. Returns the job's new state, or null when the job is no longer this
    /// attempt's (nothing was written).
    /// </summary>
    public async Task<FinishedAttempt?> FinishAsync(NpgsqlBatchCommand finish, CancellationToken cancellationToken)
    {
        _batch.BatchCommands.Add(finish);
        try
        {
            FinishedAttempt? finished = null;
            await using (var reader = await _batch.ExecuteReaderAsync(cancellationToken))
            {
                do
                {
                    if (reader.FieldCount > 0 && reader.GetName(0) == "state" && await reader.ReadAsync(cancellationToken))
                    {
                        finished = new FinishedAttempt(DbNames.Parse<JobState>(reader.GetString(0)), reader.GetInt64(1));
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
            }

            // Read to the end: the batch's implicit transaction has committed.
            return finished;
        }
        catch (PostgresException fenced) when (fenced.SqlState == JobStore.FencedOutState)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _batch.DisposeAsync();

    /// <summary>A statement of this batch with @conversation_id bound to the job's conversation.</summary>
    internal NpgsqlBatchCommand Command(string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("conversation_id", _job.ConversationId);
        _batch.BatchCommands.Add(command);
        return command;
    }
}

/// <summary>The job's state after the attempt, and the attempt row written with it.</summary>
public sealed record FinishedAttempt(JobState State, long AttemptId);
