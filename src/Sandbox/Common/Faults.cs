using System.Collections.Concurrent;
using System.Globalization;

namespace Ferry.Sandbox.Common;

/// <summary>Faults injected into vendor API calls and webhook deliveries (config Sandbox:Faults, or POST /admin/faults).</summary>
public sealed class FaultSettings
{
    /// <summary>Which vendor's API the request faults apply to: all, intercom or zendesk.</summary>
    public string Scope { get; set; } = "all";

    /// <summary>Added latency: fixed, uniform (between LatencyMs and LatencyMaxMs) or exponential (mean LatencyMs).</summary>
    public string LatencyDistribution { get; set; } = "fixed";

    public int LatencyMs { get; set; }

    public int LatencyMaxMs { get; set; }

    /// <summary>Probability (0..1) of answering with <see cref="ErrorStatus"/>.</summary>
    public double ErrorRate { get; set; }

    public int ErrorStatus { get; set; } = 503;

    /// <summary>Probability (0..1) of a 429 with Retry-After, as in a rate-limit storm.</summary>
    public double RateLimitRate { get; set; }

    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>Probability (0..1) of never answering (the request hangs for TimeoutSeconds, then the connection is dropped).</summary>
    public double TimeoutRate { get; set; }

    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>Probability (0..1) of sending headers and half the body, then aborting the connection.</summary>
    public double DropRate { get; set; }

    /// <summary>
    /// The first this many requests the faults apply to take effect and then have their answer cut, as with
    /// <see cref="DropRate"/>: "the vendor did it, the caller never heard", deterministically. Counted like <see cref="FailFirst"/>.
    /// </summary>
    public int CutFirst { get; set; }

    private int _cutFirst;

    /// <summary>Counts a request against <see cref="CutFirst"/>: true while its answer should still be cut.</summary>
    public bool TakeCutFirst() => CutFirst > 0 && Interlocked.Increment(ref _cutFirst) <= CutFirst;

    /// <summary>Probability (0..1) that a webhook is delivered twice.</summary>
    public double DuplicateWebhookRate { get; set; }

    /// <summary>Delivers webhooks pairwise swapped (out of order).</summary>
    public bool ReorderWebhooks { get; set; }

    /// <summary>Attachment downloads are throttled to this many bytes per second (0: full speed).</summary>
    public long SlowDownloadBytesPerSecond { get; set; }

    /// <summary>
    /// The request takes effect, then its answer is held this long before it is sent (0: at once): the
    /// window in which the vendor has made the change and the caller does not know it yet (give up, crash).
    /// </summary>
    public int HoldResponseMs { get; set; }

    /// <summary>
    /// Only requests whose path and query contain this text are faulted (empty: every request), e.g. "/imports/tickets",
    /// or "&amp;token=" for an upload that joins an existing token.
    /// </summary>
    public string PathContains { get; set; } = "";

    /// <summary>
    /// The first this many requests the faults apply to (mind <see cref="PathContains"/>) answer <see cref="ErrorStatus"/>,
    /// then they pass: "fails twice, then works". Counted from when these settings were put in force.
    /// </summary>
    public int FailFirst { get; set; }

    private int _failedFirst;

    /// <summary>Counts a request against <see cref="FailFirst"/>: true while it should still fail.</summary>
    public bool TakeFailFirst() => FailFirst > 0 && Interlocked.Increment(ref _failedFirst) <= FailFirst;

    /// <summary>Only requests with this HTTP method are faulted (empty: any), e.g. "POST" to hold a create but not the reads around it.</summary>
    public string Method { get; set; } = "";

    public bool AppliesTo(string vendor, HttpRequest request) =>
        (Scope == "all" || string.Equals(Scope, vendor, StringComparison.OrdinalIgnoreCase))
        && (PathContains.Length == 0 || $"{request.Path.Value}{request.QueryString.Value}".Contains(PathContains, StringComparison.OrdinalIgnoreCase))
        && (Method.Length == 0 || string.Equals(Method, request.Method, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The fault settings in force, replaceable at run time, and how many faults were injected.</summary>
public sealed class FaultState(FaultSettings initial)
{
    private readonly ConcurrentDictionary<(string Vendor, string Kind), long> _injected = new();
    private volatile FaultSettings _current = initial;

    public FaultSettings Current { get => _current; set => _current = value; }

    /// <summary>
    /// Faults injected since the last reset, per vendor ("intercom", "zendesk") and kind ("errors",
    /// "rate_limited", "cut", "timeouts"): what a fault run reports beside what its client survived.
    /// </summary>
    public IReadOnlyDictionary<string, SortedDictionary<string, long>> Injected()
    {
        var result = new Dictionary<string, SortedDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var vendor in new[] { "intercom", "zendesk" })
        {
            result[vendor] = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["errors"] = 0, ["rate_limited"] = 0, ["cut"] = 0, ["timeouts"] = 0 };
        }

        foreach (var ((vendor, kind), count) in _injected)
        {
            result[vendor][kind] = count;
        }

        return result;
    }

    public void Count(string vendor, string kind) => _injected.AddOrUpdate((vendor, kind), 1, (_, n) => n + 1);

    public void ResetInjected() => _injected.Clear();

    public static bool Roll(double probability) => probability > 0 && Random.Shared.NextDouble() < probability;

    public TimeSpan NextLatency()
    {
        var f = _current;
        double ms = f.LatencyDistribution switch
        {
            "uniform" => f.LatencyMs + (Random.Shared.NextDouble() * Math.Max(0, f.LatencyMaxMs - f.LatencyMs)),
            "exponential" => -f.LatencyMs * Math.Log(1 - Random.Shared.NextDouble()),
            _ => f.LatencyMs,
        };
        return TimeSpan.FromMilliseconds(Math.Max(0, ms));
    }
}

/// <summary>Applies <see cref="FaultSettings"/> to one vendor's endpoints.</summary>
public sealed class FaultFilter(FaultState faults, string vendor) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var f = faults.Current;
        if (!f.AppliesTo(vendor, context.HttpContext.Request))
        {
            return await next(context);
        }

        var http = context.HttpContext;
        var latency = faults.NextLatency();
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, http.RequestAborted);
        }

        if (FaultState.Roll(f.TimeoutRate))
        {
            faults.Count(vendor, "timeouts");
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(f.TimeoutSeconds), http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }

            http.Abort();
            return Results.Empty;
        }

        if (FaultState.Roll(f.RateLimitRate))
        {
            faults.Count(vendor, "rate_limited");
            http.Response.Headers.RetryAfter = f.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return vendor == "intercom"
                ? VendorErrors.Intercom(429, "rate_limit_exceeded", "Exceeded rate limit")
                : VendorErrors.Zendesk(429, "APIRateLimitExceeded", "Rate limit exceeded (storm)");
        }

        if (f.TakeFailFirst() || FaultState.Roll(f.ErrorRate))
        {
            faults.Count(vendor, "errors");
            return vendor == "intercom"
                ? VendorErrors.Intercom(f.ErrorStatus, "server_error", "Injected server error")
                : VendorErrors.Zendesk(f.ErrorStatus, "ServerError", "Injected server error");
        }

        var result = await next(context);
        if (f.HoldResponseMs > 0)
        {
            try
            {
                await Task.Delay(f.HoldResponseMs, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The caller gave up or died while the answer was held: nobody to answer.
                return Results.Empty;
            }
        }

        if (result is not IResult executable || !(f.TakeCutFirst() || FaultState.Roll(f.DropRate)))
        {
            return result;
        }

        // Render the real answer, send half of it, then cut the connection.
        faults.Count(vendor, "cut");
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        await executable.ExecuteAsync(http);
        http.Response.Body = original;
        var bytes = buffer.ToArray();
        http.Response.ContentLength = bytes.Length;
        await original.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), http.RequestAborted);
        await original.FlushAsync(http.RequestAborted);
        http.Abort();
        return Results.Empty;
    }
}
