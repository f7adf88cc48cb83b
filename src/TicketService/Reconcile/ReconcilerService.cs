using Ferry.TicketService.Vendors;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ferry.TicketService.Reconcile;

/// <summary>Runs the reconciler every Reconcile:Interval (and its deep pass when Reconcile:DeepInterval is due) on every replica; the store lets one of them work.</summary>
public sealed partial class ReconcilerService(Reconciler reconciler, IOptions<ReconcileOptions> options, TimeProvider clock, ILogger<ReconcilerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Interval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await reconciler.RunAsync(scan: true, deep: options.Value.DeepInterval > TimeSpan.Zero, dryRun: false, onDemand: false, stoppingToken);
            }
            catch (Exception e) when (e is HttpRequestException or VendorException or VendorRateLimitedException or NpgsqlException or TimeoutException
                                      || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                // Nothing is saved of a failed pass: the next one starts from the same watermark.
                LogPassFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciler pass failed; the next pass covers the same window")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
