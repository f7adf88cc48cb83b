using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Ferry.ServiceDefaults.Redis;

/// <summary>
/// Redis used as an optimisation (pacing, locks, dedup): every call waits at most <paramref name="timeout"/>,
/// and any failure — an error, a timeout, a paused or disconnected server — means "Redis is down".
/// (<see cref="RedisTimeoutException"/> derives from <see cref="TimeoutException"/>, not <see cref="RedisException"/>.)
/// After a failure Redis is skipped for <paramref name="backOff"/>, so callers run at near-normal speed while
/// it is down instead of each waiting out a timeout; that is logged once per back-off period, not per call.
/// </summary>
public sealed partial class RedisGuard(IConnectionMultiplexer redis, TimeSpan timeout, TimeSpan backOff, TimeProvider time, ILogger logger)
{
    private long _skipUntilTicks;

    /// <summary>Runs <paramref name="call"/> unless Redis is known to be down; <c>Available: false</c> when it is (or just failed).</summary>
    public async Task<(bool Available, T Value)> TryAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow().UtcTicks < Volatile.Read(ref _skipUntilTicks))
        {
            return (false, default!);
        }

        if (!redis.IsConnected)
        {
            // Commands would wait in the reconnect backlog for the full client timeout.
            Trip("not connected", null);
            return (false, default!);
        }

        try
        {
            return (true, await call(redis.GetDatabase()).WaitAsync(timeout, time, cancellationToken));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Trip(e.GetType().Name, e);
            return (false, default!);
        }
    }

    /// <summary>A write nobody waits for (sent with <see cref="CommandFlags.FireAndForget"/>); skipped while Redis is.</summary>
    public void Send(Action<IDatabase> write)
    {
        if (time.GetUtcNow().UtcTicks < Volatile.Read(ref _skipUntilTicks) || !redis.IsConnected)
        {
            return;
        }

        try
        {
            write(redis.GetDatabase());
        }
        catch (RedisException e)
        {
            Trip(e.GetType().Name, e);
        }
    }

    /// <summary>
    /// A write other processes depend on (a pause after a 429): sent whenever Redis is connected, even while
    /// reads are skipped, since skipping only saves this process a wait. Waits at most the timeout; the
    /// command still reaches Redis after that.
    /// </summary>
    public async Task PublishAsync(Func<IDatabase, Task> write, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            await write(redis.GetDatabase()).WaitAsync(timeout, time, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Trip(e.GetType().Name, e);
        }
    }

    private void Trip(string reason, Exception? exception)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (Interlocked.Exchange(ref _skipUntilTicks, now + backOff.Ticks) <= now)
        {
            LogRedisDown(logger, reason, backOff.TotalSeconds, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable ({Reason}); skipping it for {Seconds} s")]
    private static partial void LogRedisDown(ILogger logger, string reason, double seconds, Exception? exception);
}
