using System.Diagnostics.Metrics;

namespace Ferry.Gateway.Telemetry;

/// <summary>
/// The gateway's Meter ("Ferry.Gateway"). It has no ActivitySource: a webhook's span is ASP.NET Core's server span
/// of the request (the intake is the whole request), which the intake tags with the delivery's ids; a span of its
/// own cost every delivery an Activity and two execution-context writes for nothing more.
/// </summary>
public sealed class GatewayTelemetry : IDisposable
{
    public const string Name = "Ferry.Gateway";

    private readonly Meter _meter;
    private readonly Counter<long> _webhooks;

    public GatewayTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _webhooks = _meter.CreateCounter<long>("ferry.gateway.webhooks", unit: "{delivery}",
            description: "Webhook deliveries by vendor, outcome and (for accepted ones) topic.");
    }

    /// <summary>Counts one delivery. Topic is a vendor enum value, never free text from the body beyond that.</summary>
    public void Webhook(string vendor, string outcome, string? topic = null) =>
        _webhooks.Add(1,
            new KeyValuePair<string, object?>("vendor", vendor),
            new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("topic", topic));

    public void Dispose() => _meter.Dispose();
}

public static class WebhookOutcome
{
    public const string Queued = "queued";
    public const string Duplicate = "duplicate";
    public const string Ignored = "ignored";
    public const string UnusedTopic = "unused_topic";
    public const string Ping = "ping";
    public const string BadSignature = "bad_signature";
    public const string StaleTimestamp = "stale_timestamp";
    public const string Malformed = "malformed";
    public const string TooLarge = "too_large";
    public const string Unavailable = "unavailable";
    public const string Rejected = "rejected";
}
