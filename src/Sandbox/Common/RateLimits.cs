using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Common;

/// <summary>A fixed-window request counter (one per vendor account), on the sandbox clock.</summary>
public sealed class FixedWindow
{
    private readonly Lock _gate = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _count;

    public (bool Allowed, int Remaining, DateTimeOffset Reset) TryAcquire(DateTimeOffset now, TimeSpan window, int limit)
    {
        lock (_gate)
        {
            if (now >= _windowStart + window || now < _windowStart)
            {
                _windowStart = now;
                _count = 0;
            }

            var reset = _windowStart + window;
            if (_count >= limit)
            {
                return (false, 0, reset);
            }

            _count++;
            return (true, limit - _count, reset);
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _windowStart = DateTimeOffset.MinValue;
            _count = 0;
        }
    }
}

public sealed class RateLimits
{
    public FixedWindow Intercom { get; } = new();

    public FixedWindow Zendesk { get; } = new();
}

/// <summary>Intercom: X-RateLimit-Limit/Remaining/Reset over 10-second windows; 429 when exhausted.</summary>
public sealed class IntercomRateLimitFilter(RateLimits limits, SandboxOptions options, SandboxClock clock) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var limit = options.Intercom.RateLimitPer10Seconds;
        var (allowed, remaining, reset) = limits.Intercom.TryAcquire(clock.GetUtcNow(), TimeSpan.FromSeconds(10), limit);
        var headers = context.HttpContext.Response.Headers;
        headers["X-RateLimit-Limit"] = Inv(limit);
        headers["X-RateLimit-Remaining"] = Inv(remaining);
        headers["X-RateLimit-Reset"] = Inv(reset.ToUnixTimeSeconds());
        if (!allowed)
        {
            headers.RetryAfter = Inv(Math.Max(1, (long)Math.Ceiling((reset - clock.GetUtcNow()).TotalSeconds)));
            return VendorErrors.Intercom(429, "rate_limit_exceeded", "Exceeded rate limit");
        }

        return await next(context);
    }

    private static string Inv(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Zendesk: per-account requests per minute; X-Rate-Limit(-Remaining), ratelimit-*; 429 with Retry-After.</summary>
public sealed class ZendeskRateLimitFilter(RateLimits limits, SandboxOptions options, SandboxClock clock) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var limit = options.Zendesk.RateLimitPerMinute;
        var now = clock.GetUtcNow();
        var (allowed, remaining, reset) = limits.Zendesk.TryAcquire(now, TimeSpan.FromMinutes(1), limit);
        var seconds = Math.Max(1, (long)Math.Ceiling((reset - now).TotalSeconds));
        var headers = context.HttpContext.Response.Headers;
        headers["X-Rate-Limit"] = Inv(limit);
        headers["X-Rate-Limit-Remaining"] = Inv(remaining);
        headers["ratelimit-limit"] = Inv(limit);
        headers["ratelimit-remaining"] = Inv(remaining);
        headers["ratelimit-reset"] = Inv(seconds);
        if (!allowed)
        {
            headers.RetryAfter = Inv(seconds);
            return VendorErrors.Zendesk(429, "APIRateLimitExceeded", "Rate limit exceeded; retry after the number of seconds in Retry-After.");
        }

        return await next(context);
    }

    private static string Inv(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
