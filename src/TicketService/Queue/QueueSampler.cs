using Ferry.TicketService.Telemetry;
using Npgsql;

namespace Ferry.TicketService.Queue;

/// <summary>Samples queue depth every few seconds for the gauges (not on every metrics scrape).</summary>
public sealed class QueueSampler(JobStore queue, TicketTelemetry telemetry) : BackgroundService
{
    private (long Depth, double OldestAgeSeconds) _last;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        telemetry.ObserveQueue(() => _last);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            try
            {
                var (depth, oldest) = await queue.GetDepthAsync(stoppingToken);
                _last = (depth, oldest.TotalSeconds);
            }
            catch (NpgsqlException)
            {
                // The database is down: keep the last sample; health checks report the outage.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
