using System.Globalization;
using System.Threading.Channels;
using Npgsql;

namespace Ferry.TicketService.Attempts;

/// <summary>
/// Fans attempt outcomes out to WatchSyncs streams. One LISTEN connection per replica hears the
/// NOTIFY of every replica's attempt rows, so a watcher sees all attempts wherever they ran.
/// </summary>
public sealed partial class AttemptFeed(NpgsqlDataSource db, AttemptLog log, ILogger<AttemptFeed> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly List<Channel<AttemptRecord>> _subscribers = [];

    public ChannelReader<AttemptRecord> Subscribe(CancellationToken unsubscribe)
    {
        // Bounded: a slow watcher loses its oldest items rather than growing memory.
        var channel = Channel.CreateBounded<AttemptRecord>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            _subscribers.Add(channel);
        }

        unsubscribe.Register(() =>
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }

            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                var notified = Channel.CreateUnbounded<long>();
                connection.Notification += (_, e) => notified.Writer.TryWrite(long.Parse(e.Payload, CultureInfo.InvariantCulture));
                await using (var listen = new NpgsqlCommand($"LISTEN {AttemptLog.NotifyChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                var publishing = PublishAsync(notified.Reader, stoppingToken);
                try
                {
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        await connection.WaitAsync(stoppingToken);
                    }
                }
                finally
                {
                    notified.Writer.TryComplete();
                    await publishing.ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException ex)
            {
                LogListenFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private async Task PublishAsync(ChannelReader<long> attemptIds, CancellationToken cancellationToken)
    {
        await foreach (var id in attemptIds.ReadAllAsync(cancellationToken))
        {
            if (await log.GetAsync(id, cancellationToken) is not { } attempt)
            {
                continue;
            }

            lock (_gate)
            {
                foreach (var subscriber in _subscribers)
                {
                    subscriber.Writer.TryWrite(attempt);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for attempt notifications failed; retrying")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
