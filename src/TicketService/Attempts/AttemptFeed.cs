using System.Globalization;
using System.Threading.Channels;
using Npgsql;

namespace Ferry.TicketService.Attempts;

/// <summary>
/// Fans attempt outcomes out to WatchSyncs streams. One LISTEN connection per replica hears the
/// NOTIFY of every replica's attempt rows, so a watcher sees all attempts wherever they ran.
/// The feed never goes silent: an attempt that cannot be read is logged and skipped, and a watcher that
/// falls <see cref="SubscriberCapacity"/> attempts behind is disconnected (<see cref="WatcherTooSlowException"/>)
/// rather than silently losing attempts or holding up the others.
/// </summary>
public sealed partial class AttemptFeed(NpgsqlDataSource db, AttemptLog log, ILogger<AttemptFeed> logger) : BackgroundService
{
    /// <summary>Attempts a watcher may fall behind before it is disconnected.</summary>
    public const int SubscriberCapacity = 1024;

    private readonly Lock _gate = new();
    private readonly List<Channel<AttemptRecord>> _subscribers = [];

    public ChannelReader<AttemptRecord> Subscribe(CancellationToken unsubscribe)
    {
        // Bounded: a full channel refuses the write (TryWrite), and the publisher then disconnects the watcher.
        var channel = Channel.CreateBounded<AttemptRecord>(new BoundedChannelOptions(SubscriberCapacity) { FullMode = BoundedChannelFullMode.Wait });
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
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var attemptId))
                    {
                        notified.Writer.TryWrite(attemptId);
                    }
                };
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
            AttemptRecord? attempt;
            try
            {
                attempt = await log.GetAsync(id, cancellationToken);
            }
            catch (NpgsqlException e)
            {
                // This one attempt is missed by watchers (ListAttempts still has it); the next is published.
                LogReadFailed(logger, id, e);
                continue;
            }

            if (attempt is not null)
            {
                Fan(attempt);
            }
        }
    }

    private void Fan(AttemptRecord attempt)
    {
        lock (_gate)
        {
            _subscribers.RemoveAll(subscriber =>
            {
                if (subscriber.Writer.TryWrite(attempt))
                {
                    return false;
                }

                subscriber.Writer.TryComplete(new WatcherTooSlowException());
                return true;
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {AttemptId} could not be read for WatchSyncs; skipped")]
    private static partial void LogReadFailed(ILogger logger, long attemptId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for attempt notifications failed; retrying")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}

/// <summary>A WatchSyncs watcher did not keep up and was disconnected.</summary>
public sealed class WatcherTooSlowException() : Exception(
    $"This watcher fell more than {AttemptFeed.SubscriberCapacity} attempts behind and was disconnected; reconnect, and use ListAttempts for what was missed.");
