using Ferry.TicketService.Telemetry;
using Npgsql;

namespace Ferry.TicketService.Data;

/// <summary>The figures behind the health gauges, the alerts and the status page's summary, read in one round trip.</summary>
public sealed class HealthReadings(NpgsqlDataSource db)
{
    public async Task<HealthSample> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            SELECT
                (SELECT count(*) FROM sync.jobs WHERE state IN ('pending', 'running')),
                (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 FROM sync.jobs WHERE state IN ('pending', 'running')),
                (SELECT count(*) FROM sync.jobs j WHERE {JobStore.WaitingDead}),
                (SELECT max(received_at) FROM sync.inbox WHERE source = 'intercom'),
                (SELECT max(received_at) FROM sync.inbox WHERE source = 'zendesk'),
                (SELECT last_run_at FROM sync.reconciler WHERE pass = 'scan')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new HealthSample(reader.GetInt64(0), reader.GetDouble(1), reader.GetInt64(2), Optional(reader, 3), Optional(reader, 4), Optional(reader, 5));
    }

    private static DateTimeOffset? Optional(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
