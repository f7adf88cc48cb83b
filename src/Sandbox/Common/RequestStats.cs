using System.Collections.Concurrent;

namespace Ferry.Sandbox.Common;

/// <summary>
/// Counts the vendor API requests the sandbox received (every request under /intercom/ or /zendesk/,
/// whatever it answered: 2xx, 4xx, 429 or an injected fault), by vendor, method and route template.
/// The ground truth for "how many calls did a client make" in benchmarks: GET /admin/stats, reset with
/// POST /admin/stats/reset (or /admin/reset).
/// </summary>
public sealed class RequestStats
{
    private readonly ConcurrentDictionary<(string Vendor, string Operation), long> _counts = new();

    /// <summary>Requests per vendor ("intercom", "zendesk"): total and per "METHOD /route/template".</summary>
    public IReadOnlyDictionary<string, VendorRequestCounts> Snapshot()
    {
        var result = new Dictionary<string, VendorRequestCounts>(StringComparer.Ordinal)
        {
            ["intercom"] = new(0, new SortedDictionary<string, long>(StringComparer.Ordinal)),
            ["zendesk"] = new(0, new SortedDictionary<string, long>(StringComparer.Ordinal)),
        };
        foreach (var ((vendor, operation), count) in _counts)
        {
            var counts = result[vendor];
            counts.Requests[operation] = count;
            result[vendor] = counts with { Total = counts.Total + count };
        }

        return result;
    }

    public void Reset() => _counts.Clear();

    /// <summary>Middleware (after UseRouting, so the matched route template is known).</summary>
    public Task CountAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        var vendor = path.StartsWithSegments("/zendesk", StringComparison.Ordinal) ? "zendesk"
            : path.StartsWithSegments("/intercom", StringComparison.Ordinal) ? "intercom"
            : null;
        if (vendor is not null)
        {
            var template = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw
                ? raw[(raw.IndexOf('/', 1) is var slash and > 0 ? slash : raw.Length)..]
                : "(no route)";
            _counts.AddOrUpdate((vendor, $"{context.Request.Method} {template}"), 1, (_, count) => count + 1);
        }

        return next(context);
    }
}

public sealed record VendorRequestCounts(long Total, SortedDictionary<string, long> Requests);
