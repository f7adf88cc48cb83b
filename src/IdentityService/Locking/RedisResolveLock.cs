using System.Security.Cryptography;
using StackExchange.Redis;

namespace Ferry.IdentityService.Locking;

public enum LeaseState
{
    Held,

    /// <summary>Another resolver holds it: wait for its link.</summary>
    Busy,

    /// <summary>Redis is down: go straight to the database lock (correctness never depends on Redis).</summary>
    Unavailable,
}

/// <summary>
/// The efficiency lock: SET key token NX PX expiry, released only by its owner (compare token, then delete,
/// in one Lua script), so an expired-and-retaken lock is never released by the old holder.
/// </summary>
public sealed partial class RedisResolveLock(IConnectionMultiplexer redis, ILogger<RedisResolveLock> logger)
{
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    public async Task<RedisLease> TryAcquireAsync(string contactId, TimeSpan expiry)
    {
        if (!redis.IsConnected)
        {
            return RedisLease.Unavailable;
        }

        var key = new RedisKey("ferry:identity:resolve:" + contactId);
        var token = RandomNumberGenerator.GetHexString(32, lowercase: true);
        try
        {
            var taken = await redis.GetDatabase().StringSetAsync(key, token, expiry, When.NotExists);
            return taken ? new RedisLease(LeaseState.Held, this, key, token) : RedisLease.Busy;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRedisUnavailable(logger, e);
            return RedisLease.Unavailable;
        }
    }

    internal async Task ReleaseAsync(RedisKey key, string token)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [key], [token]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // It expires by itself.
            LogRedisUnavailable(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable for the resolve lock; relying on the database lock")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);
}

public sealed class RedisLease : IAsyncDisposable
{
    public static readonly RedisLease Busy = new(LeaseState.Busy, null, default, "");
    public static readonly RedisLease Unavailable = new(LeaseState.Unavailable, null, default, "");

    private readonly RedisResolveLock? _owner;
    private readonly RedisKey _key;
    private readonly string _token;

    internal RedisLease(LeaseState state, RedisResolveLock? owner, RedisKey key, string token)
    {
        State = state;
        _owner = owner;
        _key = key;
        _token = token;
    }

    public LeaseState State { get; }

    public async ValueTask DisposeAsync()
    {
        if (State == LeaseState.Held && _owner is not null)
        {
            await _owner.ReleaseAsync(_key, _token);
        }
    }
}
