using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ferry.TicketService.Telemetry;

/// <summary>One sample of the health gauges. The times are null until the first delivery or scan pass.</summary>
public sealed record HealthSample(
    long Depth, double OldestAgeSeconds, long DeadJobs, DateTimeOffset? LastIntercomWebhookAt, DateTimeOffset? LastZendeskWebhookAt, DateTimeOffset? LastReconcileAt)
{
    public static HealthSample None { get; } = new(0, 0, 0, null, null, null);
}

/// <summary>The service's ActivitySource and Meter ("Ferry.TicketService").</summary>
public sealed class TicketTelemetry : IDisposable
{
    public const string Name = "Ferry.TicketService";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public TicketTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        Synced = _meter.CreateCounter<long>("ferry.sync.synced", description: "Attempts that brought a ticket up to date");
        Failed = _meter.CreateCounter<long>("ferry.sync.failed", description: "Attempts that failed (retried with backoff, or dead)");
        Dead = _meter.CreateCounter<long>("ferry.sync.dead", description: "Jobs that died: a permanent fault, a retry window used up, or a crash loop");
        Skipped = _meter.CreateCounter<long>("ferry.sync.skipped", description: "Attempts skipped (deleted conversation, rule, deferral)");
        SkippedByRule = _meter.CreateCounter<long>("ferry.sync.skipped_by_rule", description: "Conversations the routing rules kept out of Zendesk (tag: rule)");
        RateLimited = _meter.CreateCounter<long>("ferry.sync.rate_limited", description: "Vendor 429 answers that deferred a job");
        CommentsWritten = _meter.CreateCounter<long>("ferry.sync.comments", description: "Comments written to Zendesk (import included)");
        Lag = _meter.CreateHistogram<double>("ferry.sync.lag", unit: "s", description: "From the vendor event to the ticket being up to date");
        AttemptDuration = _meter.CreateHistogram<double>("ferry.sync.attempt.duration", unit: "ms");
        StatusChanges = _meter.CreateCounter<long>("ferry.status.changes", description: "Status changes Ferry applied, by direction");
        EchoesDropped = _meter.CreateCounter<long>("ferry.status.echoes_dropped", description: "Webhooks that only reported Ferry's own status change, by vendor");
        ReconcileFindings = _meter.CreateCounter<long>("ferry.reconcile.findings", description: "Drift the reconciler found and queued a sync for, by kind");
    }

    public Counter<long> Synced { get; }

    public Counter<long> Failed { get; }

    public Counter<long> Dead { get; }

    public Counter<long> Skipped { get; }

    public Counter<long> SkippedByRule { get; }

    public Counter<long> RateLimited { get; }

    public Counter<long> CommentsWritten { get; }

    public Histogram<double> Lag { get; }

    public Histogram<double> AttemptDuration { get; }

    public Counter<long> StatusChanges { get; }

    public Counter<long> EchoesDropped { get; }

    public Counter<long> ReconcileFindings { get; }

    /// <summary>
    /// The health gauges, sampled by <see cref="Queue.QueueSampler"/> (not on every scrape). Ages are taken when
    /// observed, so they keep growing while the database cannot be sampled. No delivery or pass yet: no
    /// measurement (the alert rules also fire on absence).
    /// </summary>
    public void ObserveHealth(Func<HealthSample> read, TimeProvider clock)
    {
        IEnumerable<Measurement<double>> Age(DateTimeOffset? since, string? vendor = null) =>
            since is { } at ? [new Measurement<double>((clock.GetUtcNow() - at).TotalSeconds, vendor is null ? [] : [new("vendor", vendor)])] : [];

        _meter.CreateObservableGauge("ferry.sync.queue.depth", () => read().Depth, description: "Pending and running jobs");
        _meter.CreateObservableGauge("ferry.sync.queue.oldest_age", () => read().OldestAgeSeconds, unit: "s", description: "Age of the oldest active job");
        _meter.CreateObservableGauge("ferry.sync.dead_jobs", () => read().DeadJobs, description: "Dead jobs waiting for an operator (no newer job for their conversation)");
        _meter.CreateObservableGauge("ferry.webhooks.last_received_age", () =>
            Age(read().LastIntercomWebhookAt, "intercom").Concat(Age(read().LastZendeskWebhookAt, "zendesk")), unit: "s",
            description: "Seconds since the last delivery recorded from each vendor (tag: vendor)");
        _meter.CreateObservableGauge("ferry.reconcile.last_run_age", () => Age(read().LastReconcileAt), unit: "s", description: "Seconds since the last completed scan pass");
    }

    public void Dispose() => _meter.Dispose();
}
