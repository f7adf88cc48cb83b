using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using static Ferry.Testing.Benchmarking;

namespace Ferry.TicketService.Benchmarks;

/// <summary>
/// BENCH_SPANS=1: records the spans of everything this process hosts (IdentityService, AttachmentService and the
/// sandbox: their gRPC and HTTP server spans, Npgsql commands, outgoing HTTP calls) while a phase is measured, and
/// prints their p50 per name, and per IdentityService resolve how much of it its children account for. It costs a
/// little CPU per span, so it is off by default and its runs are not quoted as the benchmark's figures.
/// </summary>
public sealed class SpanBreakdown : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();
    private volatile bool _recording;

    public SpanBreakdown()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (_recording)
                {
                    _spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Record(bool on)
    {
        if (on)
        {
            _spans.Clear();
        }

        _recording = on;
    }

    public void Report(int conversations)
    {
        var inv = CultureInfo.InvariantCulture;
        var spans = _spans.ToArray();
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"Spans in this process while Ferry was measured ({spans.Length}; BENCH_SPANS=1), by source and name:"));
        WriteTable(
            ["source", "span", "per conversation", "p50 ms", "p90 ms"],
            spans.GroupBy(s => (Source: s.Source.Name, Name: s.DisplayName))
                .OrderByDescending(g => g.Sum(s => s.Duration.TotalMilliseconds))
                .Take(25)
                .Select(g =>
                {
                    var sorted = g.Select(s => s.Duration.TotalMilliseconds).Order().ToArray();
                    return (IReadOnlyList<string>)[g.Key.Source, g.Key.Name, (g.Count() / (double)conversations).ToString("0.00", inv),
                        Percentile(sorted, 0.5).ToString("0.00", inv), Percentile(sorted, 0.9).ToString("0.00", inv)];
                }));

        // Per resolve: its own duration against the time its child spans cover (overlaps merged): the rest is
        // IdentityService's own work and the waits no span shows (Redis, the thread pool).
        var byParent = spans.Where(s => s.ParentSpanId != default).ToLookup(s => s.ParentSpanId);
        var resolves = spans.Where(s => s.OperationName == "identity.resolve_requester").ToArray();
        if (resolves.Length == 0)
        {
            return;
        }

        var measured = resolves.Select(r => (Own: r.Duration.TotalMilliseconds, Covered: Covered(byParent[r.SpanId]))).ToArray();
        var own = measured.Select(m => m.Own).Order().ToArray();
        var covered = measured.Select(m => m.Covered).Order().ToArray();
        var gaps = measured.Select(m => m.Own - m.Covered).Order().ToArray();
        Console.WriteLine(string.Create(inv,
            $"identity.resolve_requester ({resolves.Length}): p50 {Percentile(own, 0.5):0.00} ms, of it covered by child spans p50 {Percentile(covered, 0.5):0.00} ms, uncovered p50 {Percentile(gaps, 0.5):0.00} / p90 {Percentile(gaps, 0.9):0.00} ms; its children, in the order they first start:"));
        var started = resolves.ToDictionary(r => r.SpanId, r => r.StartTimeUtc);
        foreach (var g in resolves.SelectMany(r => byParent[r.SpanId]).GroupBy(c => $"{c.Source.Name} {c.DisplayName}").OrderBy(g => g.Min(c => c.StartTimeUtc - started[c.ParentSpanId])))
        {
            var sorted = g.Select(c => c.Duration.TotalMilliseconds).Order().ToArray();
            Console.WriteLine(string.Create(inv, $"  {g.Key}: {g.Count() / (double)resolves.Length:0.00} per resolve, p50 {Percentile(sorted, 0.5):0.00} ms"));
        }
    }

    private static double Covered(IEnumerable<Activity> children)
    {
        var total = 0.0;
        var end = DateTime.MinValue;
        foreach (var child in children.OrderBy(c => c.StartTimeUtc))
        {
            var (start, stop) = (child.StartTimeUtc, child.StartTimeUtc + child.Duration);
            if (stop <= end)
            {
                continue;
            }

            total += (stop - (start > end ? start : end)).TotalMilliseconds;
            end = stop;
        }

        return total;
    }

    public void Dispose() => _listener.Dispose();
}
