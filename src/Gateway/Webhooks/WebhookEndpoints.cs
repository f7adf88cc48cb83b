using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Ferry.Gateway.Telemetry;
using Ferry.V1;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// <c>/webhooks/intercom</c> and <c>/webhooks/zendesk</c>: size limit → signature over the raw bytes →
/// parse → fast dedup → Enqueue → 2xx. Protected by the vendors' signatures, not by API keys.
/// </summary>
public static class WebhookEndpoints
{
    public const string IntercomPath = "/webhooks/intercom";
    public const string ZendeskPath = "/webhooks/zendesk";

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        // Intercom checks the endpoint with HEAD when a subscription is set up.
        app.MapMethods(IntercomPath, [HttpMethods.Head], () => Results.Ok());
        app.MapPost(IntercomPath, ReceiveIntercomAsync);
        app.MapMethods(ZendeskPath, [HttpMethods.Head], () => Results.Ok());
        app.MapPost(ZendeskPath, ReceiveZendeskAsync);
        return app;
    }

    private static async Task<IResult> ReceiveIntercomAsync(
        HttpContext context, IConfiguration configuration, IOptions<WebhookOptions> options, InboxForwarder forwarder,
        GatewayTelemetry telemetry, ILoggerFactory loggers)
    {
        const string vendor = "intercom";
        var logger = loggers.CreateLogger("Ferry.Gateway.Webhooks.Intercom");
        using var activity = GatewayTelemetry.Source.StartActivity("webhook intercom", ActivityKind.Internal);

        var body = await RawBody.ReadAsync(context.Request, options.Value.MaxBodyBytes, context.RequestAborted);
        if (body is not { } raw)
        {
            Log.TooLarge(logger, vendor, options.Value.MaxBodyBytes);
            telemetry.Webhook(vendor, WebhookOutcome.TooLarge);
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large.");
        }

        var secret = Secret(configuration, "Intercom:ClientSecret");
        if (secret.Length == 0)
        {
            Log.SecretMissing(logger, vendor, "Intercom:ClientSecret");
        }

        if (!IntercomSignature.IsValid(raw.Span, context.Request.Headers[IntercomSignature.HeaderName], secret))
        {
            var reason = context.Request.Headers.ContainsKey(IntercomSignature.HeaderName) ? "signature mismatch" : "signature missing";
            Log.SignatureRejected(logger, vendor, reason, context.Connection.RemoteIpAddress?.ToString());
            telemetry.Webhook(vendor, WebhookOutcome.BadSignature);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid or missing X-Hub-Signature.");
        }

        var parsed = IntercomNotification.Parse(raw);
        if (parsed.Value is not { } notification)
        {
            Log.Malformed(logger, vendor, parsed.Error!);
            telemetry.Webhook(vendor, WebhookOutcome.Malformed);
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed notification.", detail: parsed.Error);
        }

        if (notification.IsPing)
        {
            telemetry.Webhook(vendor, WebhookOutcome.Ping, notification.Topic);
            return Results.Ok(new WebhookAck(WebhookOutcome.Ping, 0));
        }

        if (!notification.IsUsed)
        {
            Log.UnusedTopic(logger, vendor, notification.Id, notification.Topic);
            // Only known vendor topics become metric tags: an arbitrary string from the body must not explode cardinality.
            telemetry.Webhook(vendor, WebhookOutcome.UnusedTopic, "other");
            return Results.Ok(new WebhookAck(WebhookOutcome.UnusedTopic, 0));
        }

        return await forwarder.ForwardAsync(
            new WebhookDelivery(Vendor.Intercom, notification.Id, notification.Topic, notification.ConversationId, 0, notification.EventAt, raw),
            context.RequestAborted);
    }

    private static async Task<IResult> ReceiveZendeskAsync(
        HttpContext context, IConfiguration configuration, IOptions<WebhookOptions> options, InboxForwarder forwarder,
        GatewayTelemetry telemetry, TimeProvider clock, ILoggerFactory loggers)
    {
        const string vendor = "zendesk";
        var logger = loggers.CreateLogger("Ferry.Gateway.Webhooks.Zendesk");
        using var activity = GatewayTelemetry.Source.StartActivity("webhook zendesk", ActivityKind.Internal);

        var body = await RawBody.ReadAsync(context.Request, options.Value.MaxBodyBytes, context.RequestAborted);
        if (body is not { } raw)
        {
            Log.TooLarge(logger, vendor, options.Value.MaxBodyBytes);
            telemetry.Webhook(vendor, WebhookOutcome.TooLarge);
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large.");
        }

        var secret = Secret(configuration, "Zendesk:WebhookSecret");
        if (secret.Length == 0)
        {
            Log.SecretMissing(logger, vendor, "Zendesk:WebhookSecret");
        }

        string? timestamp = context.Request.Headers[ZendeskSignature.TimestampHeader];
        var check = ZendeskSignature.Check(raw.Span, context.Request.Headers[ZendeskSignature.SignatureHeader], timestamp,
            secret, clock.GetUtcNow(), options.Value.ZendeskTimestampTolerance);
        if (check != ZendeskSignatureCheck.Valid)
        {
            var reason = check switch
            {
                ZendeskSignatureCheck.Missing => "signature or timestamp missing",
                ZendeskSignatureCheck.StaleTimestamp => "timestamp outside the tolerance window",
                _ => "signature mismatch",
            };
            Log.SignatureRejected(logger, vendor, reason, context.Connection.RemoteIpAddress?.ToString());
            telemetry.Webhook(vendor, check == ZendeskSignatureCheck.StaleTimestamp ? WebhookOutcome.StaleTimestamp : WebhookOutcome.BadSignature);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid, missing or stale Zendesk webhook signature.");
        }

        var parsed = ZendeskTicketEvent.Parse(raw);
        if (parsed.Value is not { } ticketEvent)
        {
            Log.Malformed(logger, vendor, parsed.Error!);
            telemetry.Webhook(vendor, WebhookOutcome.Malformed);
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed ticket event.", detail: parsed.Error);
        }

        // Only the timestamp and the body are signed: a delivery id from any other header (the invocation id)
        // would let a captured delivery be replayed inside the tolerance window as a "new" one.
        var deliveryId = ContentDeliveryId(timestamp!, raw.Span);
        DateTimeOffset? sentAt = ZendeskSignature.TryParseTimestamp(timestamp!, out var signedAt) ? signedAt : null;
        return await forwarder.ForwardAsync(
            new WebhookDelivery(Vendor.Zendesk, deliveryId, ZendeskTicketEvent.Topic, ticketEvent.ConversationId, ticketEvent.TicketId,
                ticketEvent.UpdatedAt ?? sentAt, raw),
            context.RequestAborted);
    }

    /// <summary>The same signed content is the same delivery: sha256(timestamp + body).</summary>
    public static string ContentDeliveryId(string timestamp, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(timestamp));
        hash.AppendData(body);
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static byte[] Secret(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value ? Encoding.UTF8.GetBytes(value) : [];
}
