using System.Net;
using StackExchange.Redis;

namespace Ferry.TicketService.Vendors;

/// <summary>Section "RateLimits": requests per minute Ferry allows itself per vendor account, below the plan's limit.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public int ZendeskPerMinute { get; set; } = 600;

    public int IntercomPerMinute { get; set; } = 6000;
}

/// <summary>
/// One request budget per vendor account shared by every worker of every replica: a token bucket in
/// Redis (one Lua script, server time), plus a shared pause after a 429 so no worker keeps hammering.
/// Redis is for pacing only: when it is unreachable requests go ahead, and a resulting 429 still just
/// defers the job.
/// </summary>
public sealed partial class SharedRateBudget(IConnectionMultiplexer redis, ILogger<SharedRateBudget> logger)
{
    // KEYS[1] bucket, KEYS[2] pause; ARGV[1] tokens per minute. Returns ms to wait (0: token taken).
    private const string TakeScript = """
        local paused = redis.call('PTTL', KEYS[2])
        if paused > 0 then return paused end
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

    /// <summary>Waits until the account's budget allows one more request.</summary>
    public async Task AcquireAsync(string vendor, int perMinute, CancellationToken cancellationToken)
    {
        while (true)
        {
            long waitMs;
            try
            {
                var result = await redis.GetDatabase().ScriptEvaluateAsync(TakeScript,
                    [(RedisKey)$"ferry:budget:{vendor}", (RedisKey)$"ferry:budget:{vendor}:paused"], [perMinute]);
                waitMs = (long)result;
            }
            catch (RedisException ex)
            {
                LogBudgetUnavailable(logger, vendor, ex);
                return;
            }

            if (waitMs <= 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(waitMs, 5_000)), cancellationToken);
        }
    }

    /// <summary>Pauses every worker's requests to the vendor for the Retry-After the vendor gave.</summary>
    public async Task PauseAsync(string vendor, TimeSpan retryAfter)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync($"ferry:budget:{vendor}:paused", "1", retryAfter);
        }
        catch (RedisException ex)
        {
            LogBudgetUnavailable(logger, vendor, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shared {Vendor} rate budget unavailable (Redis); sending without pacing")]
    private static partial void LogBudgetUnavailable(ILogger logger, string vendor, Exception exception);

    /// <summary>On a vendor HTTP client: takes a token before every request (retries included) and shares a 429's pause.</summary>
    public sealed class Handler(SharedRateBudget budget, string vendor, Func<int> perMinute) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await budget.AcquireAsync(vendor, perMinute(), cancellationToken);
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await budget.PauseAsync(vendor, VendorResponses.RetryAfter(response));
            }

            return response;
        }
    }
}
