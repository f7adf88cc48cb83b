using System.Diagnostics;
using Ferry.Gateway.Telemetry;
using Ferry.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Webhooks;

/// <summary>A verified, parsed delivery ready for TicketService's inbox.</summary>
public sealed record WebhookDelivery(
    Vendor Source, string DeliveryId, string Topic, string? ConversationId, long TicketId, DateTimeOffset? EventAt, ReadOnlyMemory<byte> Payload)
{
    public string VendorName => Source == Vendor.Intercom ? "intercom" : "zendesk";
}

/// <summary>
/// Fast dedup, then <c>SyncInbox.Enqueue</c>; the vendor gets 2xx only once TicketService has committed the
/// delivery and its job, and 503 (with Retry-After) whenever that cannot be confirmed, so it retries.
/// </summary>
public sealed class InboxForwarder(
    SyncInbox.SyncInboxClient inbox,
    DeliveryDedup dedup,
    GatewayTelemetry telemetry,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<InboxForwarder> logger)
{
    public async Task<IResult> ForwardAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var vendor = delivery.VendorName;
        Activity.Current?.SetTag("ferry.delivery_id", delivery.DeliveryId);
        Activity.Current?.SetTag("ferry.topic", delivery.Topic);
        if (delivery.ConversationId is not null)
        {
            Activity.Current?.SetTag("ferry.conversation_id", delivery.ConversationId);
        }

        if (delivery.TicketId != 0)
        {
            Activity.Current?.SetTag("ferry.ticket_id", delivery.TicketId);
        }

        if (await dedup.SeenAsync(vendor, delivery.DeliveryId))
        {
            Log.DuplicateDelivery(logger, vendor, delivery.DeliveryId);
            telemetry.Webhook(vendor, WebhookOutcome.Duplicate, delivery.Topic);
            return WebhookAck.WithoutJob(WebhookOutcome.Duplicate);
        }

        var request = new EnqueueRequest
        {
            Source = delivery.Source,
            DeliveryId = delivery.DeliveryId,
            Topic = delivery.Topic,
            ConversationId = delivery.ConversationId ?? string.Empty,
            TicketId = delivery.TicketId,
            Payload = ByteString.CopyFrom(delivery.Payload.Span),
            // The webhook span's W3C context, carried through the job so the worker continues this trace.
            Traceparent = Activity.Current?.Id ?? string.Empty,
            ReceivedAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
        };
        if (delivery.EventAt is { } eventAt)
        {
            request.EventAt = Timestamp.FromDateTimeOffset(eventAt);
        }

        EnqueueReply reply;
        try
        {
            reply = await inbox.EnqueueAsync(request, deadline: clock.GetUtcNow().UtcDateTime + options.Value.EnqueueTimeout,
                cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.PermissionDenied
            or StatusCode.Unauthenticated or StatusCode.Unimplemented)
        {
            // Not transient: retrying the same delivery cannot help; answer 500 so it is visible on the vendor side too.
            Log.QueueRefused(logger, vendor, delivery.DeliveryId, ex.StatusCode);
            telemetry.Webhook(vendor, WebhookOutcome.Rejected, delivery.Topic);
            return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "The delivery was refused by the sync queue.");
        }
        catch (RpcException ex)
        {
            // Unavailable, DeadlineExceeded, Internal, Unknown, ResourceExhausted, Aborted, Cancelled: the job may not be durable.
            Log.QueueUnavailable(logger, vendor, delivery.DeliveryId, ex.StatusCode);
            return Unavailable(vendor, delivery.Topic);
        }
        catch (HttpRequestException ex)
        {
            Log.QueueUnreachable(logger, vendor, delivery.DeliveryId, ex.GetType().Name);
            return Unavailable(vendor, delivery.Topic);
        }
        catch (InvalidOperationException ex)
        {
            // Service discovery could not resolve TicketService.
            Log.QueueUnreachable(logger, vendor, delivery.DeliveryId, ex.GetType().Name);
            return Unavailable(vendor, delivery.Topic);
        }

        dedup.Mark(vendor, delivery.DeliveryId);
        Log.Queued(logger, vendor, delivery.DeliveryId, delivery.Topic, delivery.ConversationId, delivery.TicketId, reply.JobId, reply.Duplicate, reply.Ignored);
        var outcome = reply.Duplicate ? WebhookOutcome.Duplicate : reply.Ignored ? WebhookOutcome.Ignored : WebhookOutcome.Queued;
        telemetry.Webhook(vendor, outcome, delivery.Topic);
        return new WebhookAck(outcome, reply.JobId);
    }

    private RetryLaterResult Unavailable(string vendor, string topic)
    {
        telemetry.Webhook(vendor, WebhookOutcome.Unavailable, topic);
        return new RetryLaterResult(options.Value.RetryAfterSeconds);
    }
}

/// <summary>503 with Retry-After: the delivery was not made durable, the vendor should send it again.</summary>
internal sealed class RetryLaterResult(int retryAfterSeconds) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return httpContext.Response.WriteAsJsonAsync(new { error = "sync queue unavailable, retry later" });
    }
}
