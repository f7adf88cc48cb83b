using Ferry.TicketService.Telemetry;
using Npgsql;

namespace Ferry.TicketService.Queue;

/// <summary>Samples the health gauges every few seconds (not on every metrics scrape).</summary>
public sealed class QueueSampler(HealthReadings readings, TicketTelemetry telemetry, TimeProvider clock) : BackgroundService
{
    private HealthSample _last = HealthSample.None;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        telemetry.ObserveHealth(() => _last, clock);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            try
            {
                _last = await readings.ReadAsync(stoppingToken);
            }
            catch (NpgsqlException)
            {
                // The database is down: keep the last sample; health checks report the outage.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
