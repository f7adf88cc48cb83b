using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Ferry.Gateway.Benchmarks;

/// <summary>
/// The time each request spent inside its server, as ASP.NET Core measures it itself
/// (<c>http.server.request.duration</c>, from the request's start to its response's end), by route, for the apps
/// hosted in this process (the bare baseline and the in-process gateway). It leaves out what the client, the kernel
/// and the thread wake-ups between them add, and has microsecond resolution where <c>hey</c> reports 0.1 ms steps.
/// </summary>
internal sealed class ServerDurations : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _byRoute = new(StringComparer.Ordinal);

    public ServerDurations()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.request.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "http.route", Value: string route })
                {
                    _byRoute.GetOrAdd(route, _ => new ConcurrentQueue<double>()).Enqueue(seconds * 1000);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>The median of what <paramref name="route"/> recorded since the last call for it (ms) and how many requests it was, and forgets those.</summary>
    public (double Median, int Requests) Take(string route)
    {
        if (!_byRoute.TryRemove(route, out var samples) || samples.IsEmpty)
        {
            return (double.NaN, 0);
        }

        var sorted = samples.Order().ToArray();
        return (sorted[sorted.Length / 2], sorted.Length);
    }

    public void Dispose() => _listener.Dispose();
}
