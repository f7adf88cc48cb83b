using System.Collections.Concurrent;

namespace Ferry.Sandbox.Common;

/// <summary>
/// Counts the vendor API requests the sandbox received (every request under /intercom/ or /zendesk/,
/// whatever it answered: 2xx, 4xx, 429 or an injected fault), by vendor, method and route template.
/// The ground truth for "how many calls did a client make" in benchmarks: GET /admin/stats, reset with
/// POST /admin/stats/reset (or /admin/reset).
/// Also counts the requests that arrived while the vendor account was still inside a Retry-After it gave
/// (<see cref="RetryAfterWatch"/>): a well-behaved client sends none. And keeps the latest requests with
/// when each arrived and was answered (<see cref="Journal"/>), for tests of what a client sends at once.
/// </summary>
public sealed class RequestStats(TimeProvider time)
{
    private const int Journaled = 10_000;
    private readonly ConcurrentDictionary<(string Vendor, string Operation), long> _counts = new();
    private readonly ConcurrentQueue<JournaledRequest> _journal = new();
    private readonly Dictionary<string, RetryAfterWatch> _retryAfter = new(StringComparer.Ordinal)
    {
        ["intercom"] = new(),
        ["zendesk"] = new(),
    };

    /// <summary>Requests per vendor ("intercom", "zendesk"): total and per "METHOD /route/template".</summary>
    public IReadOnlyDictionary<string, VendorRequestCounts> Snapshot()
    {
        var result = new Dictionary<string, VendorRequestCounts>(StringComparer.Ordinal)
        {
            ["intercom"] = new(0, new SortedDictionary<string, long>(StringComparer.Ordinal), _retryAfter["intercom"].Early, _retryAfter["intercom"].Latest),
            ["zendesk"] = new(0, new SortedDictionary<string, long>(StringComparer.Ordinal), _retryAfter["zendesk"].Early, _retryAfter["zendesk"].Latest),
        };
        foreach (var ((vendor, operation), count) in _counts)
        {
            var counts = result[vendor];
            counts.Requests[operation] = count;
            result[vendor] = counts with { Total = counts.Total + count };
        }

        return result;
    }

    /// <summary>The latest vendor API requests (at most 10,000), oldest first.</summary>
    public IReadOnlyList<JournaledRequest> Journal() => [.. _journal];

    public void Reset()
    {
        _counts.Clear();
        _journal.Clear();
        foreach (var watch in _retryAfter.Values)
        {
            watch.Reset();
        }
    }

    /// <summary>Middleware (after UseRouting, so the matched route template is known).</summary>
    public async Task CountAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        var vendor = path.StartsWithSegments("/zendesk", StringComparison.Ordinal) ? "zendesk"
            : path.StartsWithSegments("/intercom", StringComparison.Ordinal) ? "intercom"
            : null;
        if (vendor is null)
        {
            await next(context);
            return;
        }

        var template = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw
            ? raw[(raw.IndexOf('/', 1) is var slash and > 0 ? slash : raw.Length)..]
            : "(no route)";
        var operation = $"{context.Request.Method} {template}";
        _counts.AddOrUpdate((vendor, operation), 1, (_, count) => count + 1);

        // Real time, not the sandbox clock: clients wait out Retry-After in real time.
        var watch = _retryAfter[vendor];
        var connection = context.Connection.Id;
        var client = context.Request.Headers.UserAgent.ToString();
        watch.Arrived(time.GetUtcNow(), operation, connection, client);
        var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        await next(context);
        _journal.Enqueue(new JournaledRequest(vendor, context.Request.Method, context.Request.Path + context.Request.QueryString, client, arrived, System.Diagnostics.Stopwatch.GetTimestamp()));
        while (_journal.Count > Journaled && _journal.TryDequeue(out _))
        {
        }

        if (context.Response.StatusCode == StatusCodes.Status429TooManyRequests
            && long.TryParse(context.Response.Headers.RetryAfter, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            // The pause begins when the 429 has left (its last byte handed to the connection), not when it
            // was decided: on a busy machine the two can be far apart. A 429 whose caller had gone (cancelled,
            // timed out) never reached it: nothing for it to honour.
            context.Response.OnCompleted(() =>
            {
                if (!context.RequestAborted.IsCancellationRequested)
                {
                    watch.RateLimited(time.GetUtcNow(), TimeSpan.FromSeconds(seconds), connection, client);
                }

                return Task.CompletedTask;
            });
        }
    }
}

/// <summary>
/// One vendor account's pauses: a 429 at time t with Retry-After r pauses the whole account until t + r (a
/// storm 429 included, as Ferry treats every 429 as the account's). A request counts as early when a 429
/// that left at least <see cref="Grace"/> before it still holds the account: a younger one may not have
/// reached the request's sender yet, nor the replicas it shares the pause with. Each early request says
/// whether it came on the connection that carried one of the pause's 429s (its sender had read that 429,
/// unless the request was already waiting for a pooled connection when the 429 came back).
/// </summary>
public sealed class RetryAfterWatch
{
    /// <summary>
    /// A request sent before its client could know of the 429 is not ignoring it. The 429 has to reach
    /// the client, be written to the pause the client's replicas share in Redis, and a request another
    /// replica sent (or that was waiting for a pooled connection) just before that still has to travel.
    /// On a quiet machine this takes a few milliseconds; on the loaded 2-core CI machine a fault run saw
    /// such a straggler arrive 714 ms after the 429, all of it spent waiting for a core in one process or
    /// another. 800 ms covers that, and a client that ignores Retry-After is still caught: with the pause
    /// switched off in Ferry the fault run fails with 154 early requests (docs/RELIABILITY.md).
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(800);

    private const int Kept = 20;
    private readonly Lock _gate = new();
    private readonly Queue<Pause> _young = new();
    private readonly Dictionary<string, Pause> _byConnection = new(StringComparer.Ordinal);
    private readonly Queue<EarlyRequest> _latest = new();
    private DateTimeOffset _pausedFrom = DateTimeOffset.MinValue;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private string _pausedBy = "";
    private long _early;

    public long Early => Interlocked.Read(ref _early);

    /// <summary>The last few early requests: which operation, and how long after the pause began it arrived.</summary>
    public IReadOnlyList<EarlyRequest> Latest
    {
        get
        {
            lock (_gate)
            {
                return [.. _latest];
            }
        }
    }

    /// <param name="client">The request's User-Agent: which client (Ferry names its service) sent it.</param>
    public void Arrived(DateTimeOffset now, string operation, string connection = "", string client = "")
    {
        lock (_gate)
        {
            while (_young.TryPeek(out var limited) && limited.Sent <= now - Grace)
            {
                _young.Dequeue();
                if (limited.Sent >= _pausedUntil)
                {
                    // A new pause; a 429 inside the current one extends it.
                    _pausedFrom = limited.Sent;
                    _pausedBy = limited.Client;
                }

                if (limited.Until > _pausedUntil)
                {
                    _pausedUntil = limited.Until;
                }
            }

            if (now < _pausedUntil)
            {
                Interlocked.Increment(ref _early);
                var onItsConnection = _byConnection.TryGetValue(connection, out var own) && own.Sent >= _pausedFrom;
                _latest.Enqueue(new EarlyRequest(operation, (long)(now - _pausedFrom).TotalMilliseconds, (long)(_pausedUntil - now).TotalMilliseconds, onItsConnection, client, _pausedBy));
                if (_latest.Count > Kept)
                {
                    _latest.Dequeue();
                }
            }
        }
    }

    public void RateLimited(DateTimeOffset now, TimeSpan retryAfter, string connection = "", string client = "")
    {
        lock (_gate)
        {
            var pause = new Pause(now, now + retryAfter, client);
            _young.Enqueue(pause);
            if (connection.Length > 0)
            {
                if (_byConnection.Count > 1_000)
                {
                    // Keep only pauses in force: connections come and go.
                    foreach (var over in _byConnection.Where(p => p.Value.Until <= now).Select(p => p.Key).ToList())
                    {
                        _byConnection.Remove(over);
                    }
                }

                _byConnection[connection] = pause;
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _pausedFrom = _pausedUntil = DateTimeOffset.MinValue;
            _pausedBy = "";
            _young.Clear();
            _byConnection.Clear();
            _early = 0;
            _latest.Clear();
        }
    }

    private readonly record struct Pause(DateTimeOffset Sent, DateTimeOffset Until, string Client);
}

/// <param name="EarlyRequests">The last requests counted in <paramref name="RequestsBeforeRetryAfter"/>, to tell a straggler from a client that ignores Retry-After.</param>
public sealed record VendorRequestCounts(long Total, SortedDictionary<string, long> Requests, long RequestsBeforeRetryAfter, IReadOnlyList<EarlyRequest> EarlyRequests);

/// <param name="AfterPauseMs">How long after the 429 that began the pause it arrived.</param>
/// <param name="PauseLeftMs">How much of the pause was left.</param>
/// <param name="OnItsConnection">It came on the connection that carried a 429 of the pause: its sender had read that 429 (or had been waiting for the connection).</param>
/// <param name="Client">Its User-Agent (Ferry's vendor clients name their service).</param>
/// <param name="PausedBy">The User-Agent of the request whose 429 began the pause: the same client, or another process that had to pass the pause on.</param>
public sealed record EarlyRequest(string Operation, long AfterPauseMs, long PauseLeftMs, bool OnItsConnection, string Client, string PausedBy);

/// <summary>One vendor API request as the sandbox saw it (<paramref name="Client"/>: its User-Agent); the times are <see cref="System.Diagnostics.Stopwatch"/> timestamps.</summary>
public sealed record JournaledRequest(string Vendor, string Method, string PathAndQuery, string Client, long Arrived, long Answered)
{
    /// <summary>True when the two requests were in the sandbox at the same time.</summary>
    public bool Overlaps(JournaledRequest other) => Arrived < other.Answered && other.Arrived < Answered;
}
