using System.Diagnostics.Metrics;
using Ferry.TicketService.Telemetry;
using Npgsql;

namespace Ferry.TicketService.Data;

/// <summary>The figures behind the health gauges and alerts, read in one round trip.</summary>
public sealed class HealthReadings(NpgsqlDataSource db)
{
    public async Task<HealthSample> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT
                (SELECT count(*) FROM sync.jobs WHERE state IN ('pending', 'running')),
                (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 FROM sync.jobs WHERE state IN ('pending', 'running')),
                (SELECT count(*) FROM sync.jobs j WHERE j.state = 'dead'
                    AND NOT EXISTS (SELECT 1 FROM sync.jobs n WHERE n.conversation_id = j.conversation_id AND n.job_id > j.job_id)),
                (SELECT EXTRACT(EPOCH FROM now() - max(received_at))::float8 FROM sync.inbox WHERE source = 'intercom'),
                (SELECT EXTRACT(EPOCH FROM now() - max(received_at))::float8 FROM sync.inbox WHERE source = 'zendesk'),
                (SELECT EXTRACT(EPOCH FROM now() - last_run_at)::float8 FROM sync.reconciler WHERE pass = 'scan')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var webhookAges = new List<Measurement<double>>(2);
        foreach (var (column, vendor) in new[] { (3, "intercom"), (4, "zendesk") })
        {
            // No delivery yet: no measurement (the alert rule also fires on absence).
            if (!reader.IsDBNull(column))
            {
                webhookAges.Add(new Measurement<double>(reader.GetDouble(column), new KeyValuePair<string, object?>("vendor", vendor)));
            }
        }

        return new HealthSample(reader.GetInt64(0), reader.GetDouble(1), reader.GetInt64(2), webhookAges, reader.IsDBNull(5) ? null : reader.GetDouble(5));
    }
}
