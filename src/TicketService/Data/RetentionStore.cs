using Npgsql;

namespace Ferry.TicketService.Data;

/// <summary>
/// The retention purges, one bounded batch per call (short transactions, short locks). SKIP LOCKED lets
/// several replicas purge at once without waiting on each other or on a worker holding a row.
/// </summary>
public sealed class RetentionStore(NpgsqlDataSource db)
{
    // Webhook bodies carry personal data (names, addresses, message text); the delivery id stays for dedup.
    private const string NullPayloadsSql = """
        UPDATE sync.inbox SET payload = NULL
        WHERE (source, delivery_id) IN (
            SELECT source, delivery_id FROM sync.inbox
            WHERE payload IS NOT NULL AND received_at < @cutoff
            ORDER BY received_at LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string DeleteDeliveriesSql = """
        DELETE FROM sync.inbox
        WHERE (source, delivery_id) IN (
            SELECT source, delivery_id FROM sync.inbox
            WHERE received_at < @cutoff
            ORDER BY received_at LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string DeleteAttemptsSql = """
        DELETE FROM sync.attempts
        WHERE attempt_id IN (
            SELECT attempt_id FROM sync.attempts
            WHERE finished_at < @cutoff
            ORDER BY finished_at LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        """;

    // A finished job goes with its attempts, unless it still waits for an operator (the dead-jobs list), or it
    // superseded a dead job nobody dismissed: deleted first, it would make that one its conversation's latest
    // again, back on the list and the alert. Once the older one is gone, the next statement takes it.
    private const string DeleteJobsSql = $"""
        DELETE FROM sync.jobs
        WHERE job_id IN (
            SELECT j.job_id FROM sync.jobs j
            WHERE j.state IN ('done', 'dead') AND j.updated_at < @cutoff
              AND NOT ({JobStore.WaitingDead})
              AND NOT EXISTS (SELECT 1 FROM sync.jobs o
                              WHERE o.conversation_id = j.conversation_id AND o.job_id < j.job_id AND o.state = 'dead' AND o.dismissed_at IS NULL)
              AND NOT EXISTS (SELECT 1 FROM sync.attempts a WHERE a.job_id = j.job_id)
            ORDER BY j.updated_at LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        """;

    public Task<int> NullPayloadsAsync(DateTimeOffset cutoff, int batch, CancellationToken cancellationToken) =>
        ExecuteAsync(NullPayloadsSql, cutoff, batch, cancellationToken);

    public Task<int> DeleteDeliveriesAsync(DateTimeOffset cutoff, int batch, CancellationToken cancellationToken) =>
        ExecuteAsync(DeleteDeliveriesSql, cutoff, batch, cancellationToken);

    public Task<int> DeleteAttemptsAsync(DateTimeOffset cutoff, int batch, CancellationToken cancellationToken) =>
        ExecuteAsync(DeleteAttemptsSql, cutoff, batch, cancellationToken);

    public Task<int> DeleteJobsAsync(DateTimeOffset cutoff, int batch, CancellationToken cancellationToken) =>
        ExecuteAsync(DeleteJobsSql, cutoff, batch, cancellationToken);

    private async Task<int> ExecuteAsync(string sql, DateTimeOffset cutoff, int batch, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.AddWithValue("cutoff", cutoff);
        command.Parameters.AddWithValue("batch", batch);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
