using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Ferry.ServiceDefaults.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Ferry.ServiceDefaults.Vendors;

/// <summary>What every service and replica saw of one vendor account (for the operator's status page).</summary>
/// <param name="LastFailureStatus">HTTP status of the last failure; 0 for a transport error or timeout.</param>
/// <param name="BudgetPerMinute">The budget Ferry allows itself (RateLimits:*PerMinute).</param>
/// <param name="UsedLastMinute">Requests sent to the account in the last minute, by every service that reported them.</param>
/// <param name="AuthFailuresLastHour">401/403 answers in the last hour.</param>
public sealed record VendorHealthSnapshot(
    string Vendor,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastFailureAt,
    int LastFailureStatus,
    int BudgetPerMinute,
    int UsedLastMinute,
    int AuthFailuresLastHour,
    DateTimeOffset? PausedUntil);

/// <summary>
/// Vendor call outcomes of this process, kept in memory by <see cref="Handler"/> (nothing on the call's
/// path but a few interlocked writes) and flushed to Redis every second by <see cref="Flusher"/>, where
/// every service's and replica's reports add up. Counts 401/403 answers in <c>ferry.vendor.auth_failures</c>.
/// </summary>
public sealed class VendorHealth : IDisposable
{
    public const string MeterName = "Ferry.Vendors";

    // Redis: one hash per account (newest success/failure, never moved back by a slower replica),
    // call counts in 10-second buckets (the last minute) and auth failures in 1-minute buckets (the last hour).
    // KEYS[1] hash, KEYS[2] call bucket, KEYS[3] auth bucket; ARGV success ms, failure ms, failure status, calls, auth failures.
    private const string FlushScript = """
        local function newer(field, value) return tonumber(value) > tonumber(redis.call('HGET', KEYS[1], field) or '0') end
        if newer('success', ARGV[1]) then redis.call('HSET', KEYS[1], 'success', ARGV[1]) end
        if newer('failure', ARGV[2]) then redis.call('HSET', KEYS[1], 'failure', ARGV[2], 'failure_status', ARGV[3]) end
        redis.call('EXPIRE', KEYS[1], 604800)
        if tonumber(ARGV[4]) > 0 then redis.call('INCRBY', KEYS[2], ARGV[4]); redis.call('EXPIRE', KEYS[2], 120) end
        if tonumber(ARGV[5]) > 0 then redis.call('INCRBY', KEYS[3], ARGV[5]); redis.call('EXPIRE', KEYS[3], 3720) end
        return 0
        """;

    private const int CallBucketSeconds = 10;
    private const int CallBuckets = 6;
    private const int AuthBuckets = 60;

    private readonly ConcurrentDictionary<string, AccountState> _accounts = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly Counter<long> _authFailures;
    private readonly RedisGuard _redis;
    private readonly SharedRateBudget _budget;
    private readonly RateLimitOptions _limits;
    private readonly TimeProvider _time;

    public VendorHealth(IConnectionMultiplexer redis, SharedRateBudget budget, IOptions<RateLimitOptions> options, IMeterFactory meters, TimeProvider time, ILogger<VendorHealth> logger)
    {
        _meter = meters.Create(MeterName);
        _authFailures = _meter.CreateCounter<long>("ferry.vendor.auth_failures", description: "401/403 answers from a vendor: a revoked or wrong credential");
        _redis = new RedisGuard(redis, options.Value.RedisTimeout, options.Value.RedisBackOff, time, logger);
        _budget = budget;
        _limits = options.Value;
        _time = time;
    }

    /// <summary>What all services reported for the account (vendor and API host); this process's own view when Redis is down.</summary>
    public async Task<VendorHealthSnapshot> ReadAsync(string vendor, Uri baseUrl, CancellationToken cancellationToken)
    {
        var account = SharedRateBudget.Account(vendor, baseUrl);
        var pausedUntil = await _budget.PausedUntilAsync(account, cancellationToken);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var callKeys = Enumerable.Range(0, CallBuckets).Select(i => (RedisKey)CallKey(account, now / CallBucketSeconds - i)).ToArray();
        var authKeys = Enumerable.Range(0, AuthBuckets).Select(i => (RedisKey)AuthKey(account, now / 60 - i)).ToArray();
        var (available, shared) = await _redis.TryAsync(async db =>
        {
            var hash = db.HashGetAsync(HashKey(account), ["success", "failure", "failure_status"]);
            var calls = db.StringGetAsync(callKeys);
            var auth = db.StringGetAsync(authKeys);
            return (Hash: await hash, Calls: Sum(await calls), Auth: Sum(await auth));
        }, cancellationToken);
        var local = _accounts.GetValueOrDefault(account) ?? new AccountState();
        if (!available)
        {
            return new VendorHealthSnapshot(vendor, At(local.SuccessMs), At(local.FailureMs), local.FailureStatus, _limits.PerMinute(vendor), 0, 0, pausedUntil);
        }

        // The hash lags this process by at most one flush: take the newer of the two.
        var successMs = Math.Max(Millis(shared.Hash[0]), Volatile.Read(ref local.SuccessMs));
        var failureMs = Millis(shared.Hash[1]);
        var failureStatus = (int)Millis(shared.Hash[2]);
        if (Volatile.Read(ref local.FailureMs) > failureMs)
        {
            (failureMs, failureStatus) = (local.FailureMs, local.FailureStatus);
        }

        return new VendorHealthSnapshot(vendor, At(successMs), At(failureMs), failureStatus, _limits.PerMinute(vendor), shared.Calls, shared.Auth, pausedUntil);
    }

    /// <summary>Records one answer (or a transport failure: <paramref name="status"/> null) from the account.</summary>
    public void Record(string vendor, string account, HttpStatusCode? status)
    {
        var state = _accounts.GetOrAdd(account, _ => new AccountState());
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Interlocked.Increment(ref state.Calls);
        if (status is { } code && (int)code < 400)
        {
            Volatile.Write(ref state.SuccessMs, now);
            return;
        }

        // A 404 or 422 is an answer about the request, not about the connection: only auth, 429 and 5xx count as failures.
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            Interlocked.Increment(ref state.AuthFailures);
            _authFailures.Add(1, new KeyValuePair<string, object?>("vendor", vendor));
        }
        else if (status is { } other && (int)other < 500 && other != HttpStatusCode.TooManyRequests)
        {
            Volatile.Write(ref state.SuccessMs, now);
            return;
        }

        state.FailureStatus = status is null ? 0 : (int)status.Value;
        Volatile.Write(ref state.FailureMs, now);
    }

    /// <summary>Adds what this process recorded since the last flush to Redis (best effort: lost when Redis is down).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var nowSeconds = _time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var (account, state) in _accounts)
        {
            var calls = Interlocked.Exchange(ref state.Calls, 0);
            var auth = Interlocked.Exchange(ref state.AuthFailures, 0);
            var success = Volatile.Read(ref state.SuccessMs);
            var failure = Volatile.Read(ref state.FailureMs);
            if (calls == 0 && auth == 0 && success == state.FlushedSuccessMs && failure == state.FlushedFailureMs)
            {
                continue;
            }

            var (written, _) = await _redis.TryAsync(db => db.ScriptEvaluateAsync(FlushScript,
                [HashKey(account), CallKey(account, nowSeconds / CallBucketSeconds), AuthKey(account, nowSeconds / 60)],
                [success, failure, state.FailureStatus, calls, auth]), cancellationToken);
            if (written)
            {
                (state.FlushedSuccessMs, state.FlushedFailureMs) = (success, failure);
            }
        }
    }

    public void Dispose() => _meter.Dispose();

    private static string HashKey(string account) => $"ferry:vendor:{account}";

    private static string CallKey(string account, long bucket) => string.Create(CultureInfo.InvariantCulture, $"ferry:vendor:{account}:calls:{bucket}");

    private static string AuthKey(string account, long bucket) => string.Create(CultureInfo.InvariantCulture, $"ferry:vendor:{account}:auth:{bucket}");

    private static int Sum(RedisValue[] values) => values.Sum(v => v.IsNull ? 0 : (int)v);

    private static long Millis(RedisValue value) => value.IsNull ? 0 : (long)value;

    private static DateTimeOffset? At(long unixMs) => unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs) : null;

    private sealed class AccountState
    {
        public long Calls;
        public long AuthFailures;
        public long SuccessMs;
        public long FailureMs;
        public int FailureStatus;
        public long FlushedSuccessMs;
        public long FlushedFailureMs;
    }

    /// <summary>Innermost on a vendor client (after the rate budget): records every request actually sent.</summary>
    public sealed class Handler(VendorHealth health, string vendor) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var account = SharedRateBudget.Account(vendor, request.RequestUri);
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                health.Record(vendor, account, response.StatusCode);
                return response;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // The resilience pipeline's attempt timeout cancels this token too: a timeout is a failure.
                health.Record(vendor, account, null);
                throw;
            }
        }
    }

    /// <summary>Flushes every second, off every vendor call's path.</summary>
    public sealed class Flusher(VendorHealth health) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await health.FlushAsync(stoppingToken);
            }
        }
    }
}
