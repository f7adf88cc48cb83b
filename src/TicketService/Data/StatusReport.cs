using Npgsql;

namespace Ferry.TicketService.Data;

/// <param name="SyncsPerMinute">Successful attempts per minute over the last 60 minutes, oldest first (the last is the current minute).</param>
public sealed record StatusFigures(
    bool Paused,
    string PausedReason,
    double LagP50Seconds,
    double LagP95Seconds,
    IReadOnlyList<int> SyncsPerMinute,
    IReadOnlyList<int> FailuresPerMinute);

/// <summary>The operator's figures that only aggregate queries give: the pause switch, lag percentiles, throughput.</summary>
public sealed class StatusReport(NpgsqlDataSource db)
{
    public const int Minutes = 60;

    public async Task<StatusFigures> ReadAsync(CancellationToken cancellationToken)
    {
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT c.paused, c.paused_reason FROM sync.control c
            """));
        // Lag as ferry.sync.lag measures it: from the job's first event to the attempt that brought the ticket up to date.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), 0), COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY lag), 0)
            FROM (SELECT EXTRACT(EPOCH FROM a.finished_at - j.first_event_at)::float8 AS lag
                  FROM sync.attempts a JOIN sync.jobs j ON j.job_id = a.job_id
                  WHERE a.finished_at > now() - interval '1 hour' AND a.outcome = 'success' AND j.first_event_at IS NOT NULL) l
            """));
        // Slot 59 is the current minute.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT 59 - floor(EXTRACT(EPOCH FROM date_trunc('minute', now()) + interval '1 minute' - finished_at) / 60)::int AS slot,
                   count(*) FILTER (WHERE outcome = 'success')::int, count(*) FILTER (WHERE outcome = 'failure')::int
            FROM sync.attempts
            WHERE finished_at >= date_trunc('minute', now()) - interval '59 minutes'
            GROUP BY 1
            """));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (paused, reason) = (reader.GetBoolean(0), reader.GetString(1));

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (p50, p95) = (reader.GetDouble(0), reader.GetDouble(1));

        await reader.NextResultAsync(cancellationToken);
        var syncs = new int[Minutes];
        var failures = new int[Minutes];
        while (await reader.ReadAsync(cancellationToken))
        {
            var slot = Math.Clamp(reader.GetInt32(0), 0, Minutes - 1);
            syncs[slot] += reader.GetInt32(1);
            failures[slot] += reader.GetInt32(2);
        }

        return new StatusFigures(paused, reason, p50, p95, syncs, failures);
    }
}
