using System.Collections.Concurrent;
using System.Net;
using Ferry.ServiceDefaults.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Ferry.ServiceDefaults.Vendors;

/// <summary>Section "RateLimits": the request budget Ferry allows itself per vendor account (below the plan's limit), shared by every service and replica.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public int ZendeskPerMinute { get; set; } = 600;

    public int IntercomPerMinute { get; set; } = 6000;

    /// <summary>
    /// Longest wait for Redis per budget call. A slow Redis holds the request this long, so a pause another
    /// replica published after a 429 still holds it; no answer by then counts as Redis down, and requests
    /// go ahead unpaced rather than stall on Redis.
    /// </summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A budget answer slower than this may be stale (another replica's 429 may have paused the account since the
    /// token was granted), so the pause is read once more before the request goes; zero reads it after every grant.
    /// </summary>
    public TimeSpan StaleAnswerAfter { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>After a Redis failure the budget skips Redis this long (requests go unpaced; a 429's pause still holds locally).</summary>
    public TimeSpan RedisBackOff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A pause after a 429 up to this long is waited out before sending; a longer one is answered at once
    /// with a local 429 carrying the remaining Retry-After (nothing is sent), so the caller defers the work
    /// instead of holding a worker and running into the HTTP attempt timeout.
    /// </summary>
    public TimeSpan MaxPauseWait { get; set; } = TimeSpan.FromSeconds(5);

    public int PerMinute(string vendor) => vendor == VendorNames.Zendesk ? ZendeskPerMinute : IntercomPerMinute;
}

/// <summary>The vendors Ferry calls; with the API host they name an account's budget in Redis.</summary>
public static class VendorNames
{
    public const string Intercom = "intercom";

    public const string Zendesk = "zendesk";
}

/// <summary>
/// One request budget per vendor account shared by every worker of every service and replica: a token
/// bucket in Redis (one Lua script, server time), plus a pause after a 429 until its Retry-After has
/// passed — kept in this process (so it holds with Redis down) and in Redis (so every replica honours it).
/// Redis is for pacing only: when it is down, or gives no answer within <see cref="RateLimitOptions.RedisTimeout"/>
/// (<see cref="RedisGuard"/>), requests go ahead unpaced, and a resulting 429 pauses this process and defers the work.
/// </summary>
public sealed class SharedRateBudget
{
    // KEYS[1] bucket, KEYS[2] pause; ARGV[1] tokens per minute.
    // Returns 0: token taken; > 0: ms until the next token; < 0: the account is paused for -n ms.
    private const string TakeScript = """
        local paused = redis.call('PTTL', KEYS[2])
        if paused > 0 then return -paused end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local perMs = tonumber(ARGV[1]) / 60000
        local burst = math.max(1, math.floor(tonumber(ARGV[1]) / 10))
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(state[1]) or burst
        local ts = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + (now - ts) * perMs)
        local wait = 0
        if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
        redis.call('PEXPIRE', KEYS[1], 120000)
        return wait
        """;

    // KEYS[1] pause; ARGV[1] ms. Never shortens a longer pause another replica set.
    private const string PauseScript = """
        if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
        return 0
        """;

    private const int StaleChecks = 3;

    private readonly RedisGuard _redis;
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PauseEnd> _pausedUntil = new(StringComparer.Ordinal);

    public SharedRateBudget(IConnectionMultiplexer redis, IOptions<RateLimitOptions> options, TimeProvider time, ILogger<SharedRateBudget> logger)
    {
        _options = options.Value;
        _time = time;
        _redis = new RedisGuard(redis, _options.RedisTimeout, _options.RedisBackOff, time, logger);
    }

    /// <summary>
    /// Waits until the account's budget allows one more request. Returns <see cref="TimeSpan.Zero"/> when it
    /// may go, or the remaining pause when that is longer than <see cref="RateLimitOptions.MaxPauseWait"/>.
    /// </summary>
    public async Task<TimeSpan> AcquireAsync(string account, int perMinute, CancellationToken cancellationToken)
    {
        while (true)
        {
            var paused = PausedFor(account);
            if (paused > TimeSpan.Zero)
            {
                if (paused > _options.MaxPauseWait)
                {
                    return paused;
                }

                await Task.Delay(paused, _time, cancellationToken);
                continue;
            }

            var asked = _time.GetTimestamp();
            var (available, waitMs) = await _redis.TryAsync(async db => (long)await db.ScriptEvaluateAsync(TakeScript,
                [(RedisKey)$"ferry:budget:{account}", PauseKey(account)], [perMinute]), cancellationToken);
            if (!available || waitMs == 0)
            {
                // The answer can come late on a busy machine (or not at all): a 429 this process saw meanwhile
                // still holds the request, though its token was taken before the pause, and so does one another
                // replica published meanwhile.
                if (PausedFor(account) > TimeSpan.Zero)
                {
                    continue;
                }

                if (available && await PausedSinceAsync(account, asked, cancellationToken) is var since && since > TimeSpan.Zero)
                {
                    PauseLocally(account, since);
                    continue;
                }

                return TimeSpan.Zero;
            }

            if (waitMs < 0)
            {
                // Another replica's 429: hold it here too, then decide between waiting and deferring above.
                PauseLocally(account, TimeSpan.FromMilliseconds(-waitMs));
                continue;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(waitMs, 5_000)), _time, cancellationToken);
        }
    }

    /// <summary>
    /// The pause another replica published since a token was asked for at <paramref name="asked"/>, when its
    /// answer took longer than <see cref="RateLimitOptions.StaleAnswerAfter"/>: asked again until an answer comes back fresh (or
    /// Redis fails: then the token stands, as any other request's would with Redis down).
    /// </summary>
    private async Task<TimeSpan> PausedSinceAsync(string account, long asked, CancellationToken cancellationToken)
    {
        for (var check = 0; check < StaleChecks && _time.GetElapsedTime(asked) >= _options.StaleAnswerAfter; check++)
        {
            asked = _time.GetTimestamp();
            var (available, left) = await _redis.TryAsync(db => db.KeyTimeToLiveAsync(PauseKey(account)), cancellationToken);
            if (!available)
            {
                break;
            }

            if (left > TimeSpan.Zero)
            {
                return left.Value;
            }
        }

        return TimeSpan.Zero;
    }

    /// <summary>No request to the account, from this process or (Redis permitting) any other, until <paramref name="retryAfter"/> has passed.</summary>
    public async Task PauseAsync(string account, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        if (retryAfter <= TimeSpan.Zero)
        {
            return;
        }

        PauseLocally(account, retryAfter);
        // Redis counts a key's expiry from its clock truncated to the millisecond: one more keeps the pause from ending early.
        await _redis.PublishAsync(db => db.ScriptEvaluateAsync(PauseScript, [PauseKey(account)], [(long)Math.Ceiling(retryAfter.TotalMilliseconds) + 1]),
            cancellationToken);
    }

    /// <summary>The end of the account's pause after a 429 (this process's or, Redis permitting, any replica's); null when not paused.</summary>
    public async Task<DateTimeOffset?> PausedUntilAsync(string account, CancellationToken cancellationToken)
    {
        var (_, shared) = await _redis.TryAsync(db => db.KeyTimeToLiveAsync(PauseKey(account)), cancellationToken);
        var local = PausedFor(account);
        var left = shared is { } remaining && remaining > local ? remaining : local;
        return left > TimeSpan.Zero ? _time.GetUtcNow() + left : null;
    }

    /// <summary>A vendor account: the vendor plus the API host (a Zendesk subdomain; in tests, each sandbox).</summary>
    public static string Account(string vendor, Uri? apiUrl) => $"{vendor}:{apiUrl?.Authority}";

    private static RedisKey PauseKey(string account) => $"ferry:budget:{account}:paused";

    private TimeSpan PausedFor(string account) =>
        _pausedUntil.TryGetValue(account, out var until) && Volatile.Read(ref until.Ticks) - _time.GetUtcNow().UtcTicks is var left && left > 0
            ? TimeSpan.FromTicks(left)
            : TimeSpan.Zero;

    private void PauseLocally(string account, TimeSpan retryAfter)
    {
        var until = _pausedUntil.GetOrAdd(account, _ => new PauseEnd());
        var ticks = _time.GetUtcNow().UtcTicks + retryAfter.Ticks;
        for (var seen = Volatile.Read(ref until.Ticks); seen < ticks; seen = Volatile.Read(ref until.Ticks))
        {
            if (Interlocked.CompareExchange(ref until.Ticks, ticks, seen) == seen)
            {
                return;
            }
        }
    }

    private sealed class PauseEnd
    {
        public long Ticks;
    }

    /// <summary>
    /// On a vendor HTTP client, inside the standard resilience handler (so per attempt: every retry takes a
    /// token and waits for a pause): takes a token before each request and turns a 429 into a shared pause.
    /// </summary>
    public sealed class Handler(SharedRateBudget budget, string vendor, Func<int> perMinute) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var account = Account(vendor, request.RequestUri);
            var paused = await budget.AcquireAsync(account, perMinute(), cancellationToken);
            if (paused > TimeSpan.Zero)
            {
                // Not sent: the vendor's own answer for the rest of its pause.
                return new HttpResponseMessage(HttpStatusCode.TooManyRequests)
                {
                    RequestMessage = request,
                    ReasonPhrase = "Paused by Ferry's rate budget (not sent)",
                    Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(Math.Ceiling(paused.TotalSeconds))) },
                };
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await budget.PauseAsync(account, VendorRetryAfter.Of(response, budget._time), cancellationToken);
            }

            return response;
        }
    }
}

public static class VendorRetryAfter
{
    /// <summary>The wait a 429 asks for: Retry-After as seconds or a date (at least 1 s), 10 s when absent.</summary>
    public static TimeSpan Of(HttpResponseMessage response, TimeProvider time)
    {
        if (response.Headers.RetryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (response.Headers.RetryAfter?.Date is { } date)
        {
            return date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
        }

        return TimeSpan.FromSeconds(10);
    }
}
