using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Ferry.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Webhooks;

/// <summary>Section "Zendesk" as the gateway reads it: the webhook's signing secret.</summary>
public sealed class ZendeskWebhookOptions
{
    public const string Section = "Zendesk";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Zendesk:WebhookSecret is required: without it no Zendesk webhook can be verified.")]
    public string WebhookSecret { get; set; } = "";
}

/// <summary>
/// Zendesk webhooks: <c>X-Zendesk-Webhook-Signature</c> (HMAC-SHA256 of timestamp + body) with a timestamp
/// inside the tolerance window; the delivery id is derived from exactly those signed bytes.
/// </summary>
public sealed class ZendeskWebhooks(IOptions<ZendeskWebhookOptions> options, IOptions<WebhookOptions> intake, TimeProvider clock) : IWebhookSource
{
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.WebhookSecret);

    public string Vendor => "zendesk";

    public string Path => WebhookEndpoints.ZendeskPath;

    public string SignatureProblem => "Invalid, missing or stale Zendesk webhook signature.";

    public SignatureFailure? Verify(ReadOnlySpan<byte> body, IHeaderDictionary headers) =>
        ZendeskSignature.Check(body, headers[ZendeskSignature.SignatureHeader], headers[ZendeskSignature.TimestampHeader],
            _secret, clock.GetUtcNow(), intake.Value.ZendeskTimestampTolerance) switch
        {
            ZendeskSignatureCheck.Valid => null,
            ZendeskSignatureCheck.Missing => new SignatureFailure(WebhookOutcome.BadSignature, "signature or timestamp missing"),
            ZendeskSignatureCheck.StaleTimestamp => new SignatureFailure(WebhookOutcome.StaleTimestamp, "timestamp outside the tolerance window"),
            _ => new SignatureFailure(WebhookOutcome.BadSignature, "signature mismatch"),
        };

    public WebhookRead Read(ReadOnlyMemory<byte> body, IHeaderDictionary headers)
    {
        var parsed = ZendeskTicketEvent.Parse(body);
        if (parsed.Value is not { } ticketEvent)
        {
            return WebhookRead.Malformed(parsed.Error!);
        }

        // Verified, so the timestamp header is present. Only it and the body are signed: a delivery id from any
        // other header (the invocation id) would let a captured delivery be replayed in the window as a "new" one.
        string timestamp = headers[ZendeskSignature.TimestampHeader]!;
        DateTimeOffset? sentAt = ZendeskSignature.TryParseTimestamp(timestamp, out var signedAt) ? signedAt : null;
        return WebhookRead.Queue(new WebhookDelivery(V1.Vendor.Zendesk, ContentDeliveryId(timestamp, body.Span), ticketEvent.Topic,
            ticketEvent.ConversationId, ticketEvent.TicketId, ticketEvent.UpdatedAt ?? sentAt, body));
    }

    /// <summary>The same signed content is the same delivery: sha256(timestamp + body).</summary>
    public static string ContentDeliveryId(string timestamp, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(timestamp));
        hash.AppendData(body);
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
