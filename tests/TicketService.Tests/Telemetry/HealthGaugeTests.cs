using System.Diagnostics.Metrics;
using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.TicketService.Tests.Telemetry;

/// <summary>The age gauges behind the "webhooks stopped" and "reconciler stopped" alerts.</summary>
public sealed class HealthGaugeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Ages_are_taken_when_observed_so_they_keep_growing_while_the_sample_is_stale()
    {
        var clock = new MovableClock(Now);
        var sample = new HealthSample(3, 12.5, 1, Now.AddMinutes(-2), null, Now.AddMinutes(-5));
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new TicketTelemetry(metrics.GetRequiredService<IMeterFactory>());
        telemetry.ObserveHealth(() => sample, clock);

        var first = Observe();
        clock.Now = Now.AddMinutes(10);
        var later = Observe();

        Assert.Equal([("ferry.reconcile.last_run_age", 300, null), ("ferry.webhooks.last_received_age", 120, "intercom")],
            first.Where(m => m.Name.EndsWith("_age", StringComparison.Ordinal) && m.Name != "ferry.sync.queue.oldest_age").Order());
        Assert.Contains(("ferry.webhooks.last_received_age", 720, "intercom"), later);
        Assert.Contains(("ferry.reconcile.last_run_age", 900, null), later);
        // No Zendesk delivery yet: no measurement rather than a made-up age (the alert rule fires on absence).
        Assert.DoesNotContain(later, m => m.Vendor == "zendesk");
        Assert.Contains(("ferry.sync.queue.depth", 3, null), later);
        Assert.Contains(("ferry.sync.dead_jobs", 1, null), later);
    }

    private static List<(string Name, double Value, string? Vendor)> Observe()
    {
        var seen = new List<(string Name, double Value, string? Vendor)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TicketTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct =>
            seen.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), tags.ToArray().FirstOrDefault(t => t.Key == "vendor").Value as string));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    private sealed class MovableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
