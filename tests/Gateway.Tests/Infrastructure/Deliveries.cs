using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Ferry.Gateway.Webhooks;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>Signed vendor deliveries as Intercom and Zendesk send them.</summary>
internal static class Deliveries
{
    public static string IntercomJson(string id, string topic, string conversationId = "456", long updatedAt = 1764079100) =>
        "{\"type\":\"notification_event\",\"app_id\":\"app1\",\"id\":\"" + id + "\",\"topic\":\"" + topic
        + "\",\"delivery_attempts\":1,\"first_sent_at\":1764079200,\"created_at\":1764079200,"
        + "\"data\":{\"type\":\"notification_event_data\",\"item\":{\"type\":\"conversation\",\"id\":\"" + conversationId
        + "\",\"updated_at\":" + updatedAt.ToString(CultureInfo.InvariantCulture) + "}}}";

    public static HttpRequestMessage Intercom(byte[] body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookEndpoints.IntercomPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(IntercomSignature.HeaderName, signature);
        }

        return request;
    }

    public static HttpRequestMessage SignedIntercom(string json) =>
        SignedIntercom(Encoding.UTF8.GetBytes(json));

    public static HttpRequestMessage SignedIntercom(byte[] body) =>
        Intercom(body, IntercomSignature.Sign(body, GatewayHost.IntercomSecretBytes));

    public static string ZendeskJson(long ticketId = 123, string conversationId = "456", string status = "solved") =>
        "{\"ticket_id\": \"" + ticketId.ToString(CultureInfo.InvariantCulture) + "\", \"external_id\": \"intercom-conversation-" + conversationId
        + "\", \"status\": \"" + status + "\", \"updated_at\": \"2026-11-25T14:00:00Z\"}";

    public static HttpRequestMessage SignedZendesk(string json, DateTimeOffset? at = null, string? invocationId = null, string? signatureOverride = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookEndpoints.ZendeskPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(ZendeskSignature.TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(ZendeskSignature.SignatureHeader,
            signatureOverride ?? ZendeskSignature.Sign(body, timestamp, GatewayHost.ZendeskSecretBytes));
        if (invocationId is not null)
        {
            // Unsigned: Zendesk sends it, the gateway must not trust it.
            request.Headers.TryAddWithoutValidation("X-Zendesk-Webhook-Invocation-Id", invocationId);
        }

        return request;
    }
}
