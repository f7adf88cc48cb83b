using System.Security.Cryptography;
using Ferry.IdentityService.Extensions;
using Ferry.ServiceDefaults.Redis;
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
/// in one Lua script), so an expired-and-retaken lock is never released by the old holder. Redis calls are
/// bounded (<see cref="RedisGuard"/>): a slow, paused or unreachable Redis is "unavailable", never a stall.
/// </summary>
public sealed class RedisResolveLock(IConnectionMultiplexer redis, IOptions<IdentityOptions> options, TimeProvider time, ILogger<RedisResolveLock> logger)
{
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    private readonly RedisGuard _redis = new(redis, options.Value.RedisTimeout, options.Value.RedisBackOff, time, logger);

    public async Task<RedisLease> TryAcquireAsync(string contactId, TimeSpan expiry)
    {
        var key = new RedisKey("ferry:identity:resolve:" + contactId);
        var token = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var (available, taken) = await _redis.TryAsync(db => db.StringSetAsync(key, token, expiry, When.NotExists), CancellationToken.None);
        return !available ? RedisLease.Unavailable
            : taken ? new RedisLease(LeaseState.Held, this, key, token)
            : RedisLease.Busy;
    }

    // When Redis is down the lock expires by itself.
    internal Task ReleaseAsync(RedisKey key, string token) =>
        _redis.TryAsync(db => db.ScriptEvaluateAsync(ReleaseScript, [key], [token]), CancellationToken.None);
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
