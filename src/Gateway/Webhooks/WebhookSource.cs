namespace Ferry.Gateway.Webhooks;

/// <summary>
/// What differs between the vendors' webhooks: the path, the signature check over the raw bytes, and how a
/// verified body becomes a delivery. <see cref="WebhookIntake"/> runs the same steps for each.
/// </summary>
public interface IWebhookSource
{
    /// <summary>"intercom" or "zendesk": logs, metric tags, problem titles.</summary>
    string Vendor { get; }

    string Path { get; }

    /// <summary>Problem title of the 401.</summary>
    string SignatureProblem { get; }

    /// <summary>Null when the signature is valid, else why not.</summary>
    SignatureFailure? Verify(ReadOnlySpan<byte> body, IHeaderDictionary headers);

    /// <summary>The delivery to queue, an acknowledgement without one, or why the body is malformed.</summary>
    WebhookRead Read(ReadOnlyMemory<byte> body, IHeaderDictionary headers);
}

/// <param name="Outcome">The <see cref="Telemetry.WebhookOutcome"/> counted.</param>
/// <param name="Reason">For the log (never the signature or the body).</param>
public readonly record struct SignatureFailure(string Outcome, string Reason);

/// <summary>A verified body, read: exactly one of a delivery, an acknowledgement (ping, unused topic) or an error.</summary>
public readonly record struct WebhookRead(WebhookDelivery? Delivery, string? AckOutcome, string? TopicTag, string? Error)
{
    public static WebhookRead Queue(WebhookDelivery delivery) => new(delivery, null, null, null);

    /// <param name="topicTag">A known topic or "other": metric tags never take arbitrary strings from a body.</param>
    public static WebhookRead Acknowledge(string outcome, string topicTag) => new(null, outcome, topicTag, null);

    public static WebhookRead Malformed(string error) => new(null, null, null, error);
}
