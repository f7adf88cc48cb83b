using Microsoft.Extensions.Options;
using Npgsql;

namespace Ferry.TicketService.Retention;

/// <summary>What one purge pass removed.</summary>
public sealed record RetentionPass(int PayloadsNulled, int DeliveriesDeleted, int AttemptsDeleted, int JobsDeleted);

/// <summary>
/// Purges on every replica every <see cref="RetentionOptions.Interval"/>: inbox payloads, then old
/// delivery ids, then old attempts and the finished jobs they belonged to, each in batches of
/// <see cref="RetentionOptions.BatchSize"/> rows with a pause between them. Purging is idempotent, so replicas running at once only share the work.
/// </summary>
public sealed partial class RetentionService(
    RetentionStore store, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionService> logger) : BackgroundService
{
    public async Task<RetentionPass> PurgeAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var pass = new RetentionPass(
            await InBatchesAsync(store.NullPayloadsAsync, now - o.Inbox, cancellationToken),
            await InBatchesAsync(store.DeleteDeliveriesAsync, now - o.DeliveryIds, cancellationToken),
            await InBatchesAsync(store.DeleteAttemptsAsync, now - o.Attempts, cancellationToken),
            await InBatchesAsync(store.DeleteJobsAsync, now - o.Attempts, cancellationToken));
        if (pass != new RetentionPass(0, 0, 0, 0))
        {
            LogPurged(logger, pass.PayloadsNulled, pass.DeliveriesDeleted, pass.AttemptsDeleted, pass.JobsDeleted);
        }

        return pass;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (NpgsqlException e)
            {
                // The database is down: the next pass catches up; health checks report the outage.
                LogPurgeFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<int> InBatchesAsync(Func<DateTimeOffset, int, CancellationToken, Task<int>> purge, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var total = 0;
        while (true)
        {
            var rows = await purge(cutoff, o.BatchSize, cancellationToken);
            total += rows;
            if (rows < o.BatchSize)
            {
                return total;
            }

            await Task.Delay(o.BatchPause, time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: {Payloads} inbox payloads nulled, {Deliveries} delivery ids, {Attempts} attempts and {Jobs} finished jobs deleted")]
    private static partial void LogPurged(ILogger logger, int payloads, int deliveries, int attempts, int jobs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention pass failed; retrying at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
