using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Data;

public enum AttemptOutcome
{
    Success,
    Failure,
    Skipped,

    /// <summary>Not an attempt: a drift the reconciler found, logged with the job it queued.</summary>
    Finding,
}

/// <param name="JobId">Null for a delivery logged as skipped without a job (a ticket Ferry did not create).</param>
/// <param name="Origin">Where the change came from: "intercom", "zendesk", or "ferry" for an echo of Ferry's own change.</param>
/// <param name="VendorWrites">Vendor calls that could change state (POST/PUT/…): zero for a dropped echo.</param>
public sealed record AttemptRecord(
    long AttemptId,
    long? JobId,
    int AttemptNumber,
    string ConversationId,
    long? TicketId,
    SyncTrigger Trigger,
    AttemptOutcome Outcome,
    string Reason,
    string Direction,
    int VendorCalls,
    long DurationMs,
    DateTimeOffset StartedAt,
    string Origin = "intercom",
    int VendorWrites = 0);

public sealed record AttemptFilter(string? ConversationId, bool FailedOnly, DateTimeOffset? Since, int PageSize, long? BeforeAttemptId);

/// <summary>Every attempt, whatever its outcome, in sync.attempts; announced with NOTIFY for WatchSyncs.</summary>
public sealed class AttemptLog(NpgsqlDataSource db)
{
    public const string NotifyChannel = "ferry_sync_attempts";

    public const string IntercomToZendesk = "intercom->zendesk";
    public const string ZendeskToIntercom = "zendesk->intercom";

    /// <summary>Writes the attempt inside the caller's transaction (with the job's completion or failure), and announces it.</summary>
    public static async Task<long> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AttemptRecord attempt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            WITH logged AS ({InsertSql("")})
            SELECT attempt_id, {NotifySql} FROM logged
            """, connection, tx);
        Bind(command.Parameters, attempt);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The INSERT of one attempt row (parameters bound by <see cref="Bind"/>, each named attempt_*), written
    /// once per row of <paramref name="from"/> ("FROM finished": only when that statement changed a row;
    /// empty: once). It returns attempt_id; <see cref="NotifySql"/> announces it.
    /// </summary>
    public static string InsertSql(string from) => $"""
        INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, ticket_id, trigger, outcome, reason, direction, vendor_calls, duration_ms, started_at, origin, vendor_writes)
        SELECT @attempt_job_id, @attempt_number, @attempt_conversation_id,
               -- An attempt that failed before it knew its ticket is still about the conversation's linked one.
               COALESCE(@attempt_ticket_id, (SELECT t.ticket_id FROM sync.tickets t WHERE t.conversation_id = @attempt_conversation_id)),
               @attempt_trigger, @attempt_outcome, @attempt_reason, @attempt_direction,
               @attempt_vendor_calls, @attempt_duration_ms, @attempt_started_at, @attempt_origin, @attempt_vendor_writes
        {from}
        RETURNING attempt_id
        """;

    /// <summary>The NOTIFY (sent at commit) for an attempt_id column in scope, for WatchSyncs.</summary>
    public const string NotifySql = $"pg_notify('{NotifyChannel}', attempt_id::text)";

    public static void Bind(NpgsqlParameterCollection parameters, AttemptRecord attempt)
    {
        parameters.AddWithValue("attempt_job_id", NpgsqlDbType.Bigint, (object?)attempt.JobId ?? DBNull.Value);
        parameters.AddWithValue("attempt_number", attempt.AttemptNumber);
        parameters.AddWithValue("attempt_conversation_id", attempt.ConversationId);
        parameters.AddWithValue("attempt_ticket_id", NpgsqlDbType.Bigint, (object?)attempt.TicketId ?? DBNull.Value);
        parameters.AddWithValue("attempt_trigger", attempt.Trigger.ToDb());
        parameters.AddWithValue("attempt_outcome", attempt.Outcome.ToDb());
        parameters.AddWithValue("attempt_reason", attempt.Reason);
        parameters.AddWithValue("attempt_direction", attempt.Direction);
        parameters.AddWithValue("attempt_vendor_calls", attempt.VendorCalls);
        parameters.AddWithValue("attempt_duration_ms", attempt.DurationMs);
        parameters.AddWithValue("attempt_started_at", attempt.StartedAt);
        parameters.AddWithValue("attempt_origin", attempt.Origin);
        parameters.AddWithValue("attempt_vendor_writes", attempt.VendorWrites);
    }

    /// <summary>Newest first, keyset-paged by attempt id.</summary>
    public async Task<IReadOnlyList<AttemptRecord>> ListAsync(AttemptFilter filter, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(SelectSql + """
             WHERE (@conversation_id::text IS NULL OR conversation_id = @conversation_id)
               AND (NOT @failed_only OR outcome = 'failure')
               AND (@since::timestamptz IS NULL OR started_at >= @since)
               AND (@before::bigint IS NULL OR attempt_id < @before)
             ORDER BY attempt_id DESC
             LIMIT @limit
            """);
        command.Parameters.AddWithValue("conversation_id", NpgsqlDbType.Text, (object?)filter.ConversationId ?? DBNull.Value);
        command.Parameters.AddWithValue("failed_only", filter.FailedOnly);
        command.Parameters.AddWithValue("since", NpgsqlDbType.TimestampTz, (object?)filter.Since ?? DBNull.Value);
        command.Parameters.AddWithValue("before", NpgsqlDbType.Bigint, (object?)filter.BeforeAttemptId ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", filter.PageSize);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>The newest entries with the outcome (failures, findings), newest first.</summary>
    public async Task<IReadOnlyList<AttemptRecord>> LatestAsync(AttemptOutcome outcome, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(SelectSql + " WHERE outcome = @outcome ORDER BY attempt_id DESC LIMIT @limit");
        command.Parameters.AddWithValue("outcome", outcome.ToDb());
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    public async Task<AttemptRecord?> GetAsync(long attemptId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(SelectSql + " WHERE attempt_id = @id");
        command.Parameters.AddWithValue("id", attemptId);
        var found = await ReadAllAsync(command, cancellationToken);
        return found.Count > 0 ? found[0] : null;
    }

    private const string SelectSql = """
        SELECT attempt_id, job_id, attempt_number, conversation_id, ticket_id, trigger, outcome, reason,
               direction, vendor_calls, duration_ms, started_at, origin, vendor_writes
        FROM sync.attempts
        """;

    private static async Task<IReadOnlyList<AttemptRecord>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<AttemptRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new AttemptRecord(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : reader.GetInt64(1),
                reader.GetInt32(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                DbNames.Parse<SyncTrigger>(reader.GetString(5)),
                DbNames.Parse<AttemptOutcome>(reader.GetString(6)),
                reader.GetString(7),
                reader.GetString(8),
                reader.GetInt32(9),
                reader.GetInt64(10),
                reader.GetFieldValue<DateTimeOffset>(11),
                reader.GetString(12),
                reader.GetInt32(13)));
        }

        return list;
    }
}
