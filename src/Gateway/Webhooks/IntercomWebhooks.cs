using System.ComponentModel.DataAnnotations;
using System.Text;
using Ferry.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Webhooks;

/// <summary>Section "Intercom" as the gateway reads it: the app's client secret, which signs every notification.</summary>
public sealed class IntercomWebhookOptions
{
    public const string Section = "Intercom";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Intercom:ClientSecret is required: without it no Intercom webhook can be verified.")]
    public string ClientSecret { get; set; } = "";
}

/// <summary>Intercom notifications: <c>X-Hub-Signature</c> (HMAC-SHA1 of the body), the notification envelope.</summary>
public sealed class IntercomWebhooks(IOptions<IntercomWebhookOptions> options, ILogger<IntercomWebhooks> logger) : IWebhookSource
{
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.ClientSecret);

    public string Vendor => "intercom";

    public string Path => WebhookEndpoints.IntercomPath;

    public string SignatureProblem => "Invalid or missing X-Hub-Signature.";

    public SignatureFailure? Verify(ReadOnlySpan<byte> body, IHeaderDictionary headers) =>
        IntercomSignature.IsValid(body, headers[IntercomSignature.HeaderName], _secret) ? null
            : new SignatureFailure(WebhookOutcome.BadSignature, headers.ContainsKey(IntercomSignature.HeaderName) ? "signature mismatch" : "signature missing");

    public WebhookRead Read(ReadOnlyMemory<byte> body, IHeaderDictionary headers)
    {
        var parsed = IntercomNotification.Parse(body);
        if (parsed.Value is not { } notification)
        {
            return WebhookRead.Malformed(parsed.Error!);
        }

        if (notification.IsPing)
        {
            return WebhookRead.Acknowledge(WebhookOutcome.Ping, notification.Topic);
        }

        if (!notification.IsUsed)
        {
            Log.UnusedTopic(logger, Vendor, notification.Id, notification.Topic);
            return WebhookRead.Acknowledge(WebhookOutcome.UnusedTopic, "other");
        }

        return WebhookRead.Queue(new WebhookDelivery(
            V1.Vendor.Intercom, notification.Id, notification.Topic, notification.ConversationId, 0, notification.EventAt, body));
    }
}
