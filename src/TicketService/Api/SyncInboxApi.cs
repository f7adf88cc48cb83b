using Ferry.TicketService.Attempts;
using Ferry.TicketService.Queue;
using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Sync;
using Ferry.V1;
using Grpc.Core;
using Ferry.ServiceDefaults.Vendors;

namespace Ferry.TicketService.Api;

/// <summary>Internal: the Gateway hands over verified webhooks. Answers only after the commit.</summary>
public sealed partial class SyncInboxApi(InboxWriter inbox, SyncStore tickets, TimeProvider clock, ILogger<SyncInboxApi> logger) : SyncInbox.SyncInboxBase
{
    public override async Task<EnqueueReply> Enqueue(EnqueueRequest request, ServerCallContext context)
    {
        if (request.Source == Vendor.Unspecified)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "source is required (VENDOR_INTERCOM or VENDOR_ZENDESK)."));
        }

        if (string.IsNullOrWhiteSpace(request.DeliveryId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "delivery_id is required: it is what makes redelivery a no-op."));
        }

        if (request.TicketId < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "ticket_id must be a Zendesk ticket id (positive; 0 when there is none)."));
        }

        var requested = string.IsNullOrWhiteSpace(request.ConversationId) ? null : SyncApi.ValidConversationId(request.ConversationId);
        var (conversationId, queuesSync) = await RouteAsync(request, requested, context.CancellationToken);
        var delivery = new Delivery(
            request.Source == Vendor.Intercom ? "intercom" : "zendesk",
            request.DeliveryId,
            request.Topic,
            conversationId,
            request.TicketId == 0 ? null : request.TicketId,
            request.EventAt?.ToDateTimeOffset(),
            request.Payload.Memory,
            string.IsNullOrEmpty(request.Traceparent) ? null : request.Traceparent);

        var result = await inbox.EnqueueAsync(delivery, queuesSync, context.CancellationToken, NotOursAttempt(delivery, queuesSync));
        if (result.Ignored)
        {
            LogIgnored(logger, delivery.Source, delivery.Topic, delivery.DeliveryId);
        }

        return new EnqueueReply { JobId = result.JobId, Duplicate = result.Duplicate, Ignored = result.Ignored };
    }

    /// <summary>A Zendesk ticket Ferry did not create: ignored, and logged as a skipped attempt.</summary>
    private AttemptRecord? NotOursAttempt(Delivery delivery, bool queuesSync) =>
        delivery.Source != "zendesk" || queuesSync ? null : new AttemptRecord(
            0, null, 0, "", delivery.TicketId, SyncTrigger.Webhook, AttemptOutcome.Skipped,
            $"Zendesk ticket {delivery.TicketId} was not created by Ferry (no link, no intercom-conversation external_id); its status change is ignored.",
            AttemptLog.ZendeskToIntercom, 0, 0, clock.GetUtcNow(), StatusOrigin.Zendesk);

    private async Task<(string? ConversationId, bool QueuesSync)> RouteAsync(EnqueueRequest request, string? requested, CancellationToken cancellationToken)
    {
        if (request.Source == Vendor.Intercom)
        {
            return (requested, VendorEvents.IntercomSyncTopics.Contains(request.Topic));
        }

        // Zendesk: only tickets Ferry created (known ticket id, or our external_id) lead back to a conversation.
        if (request.TicketId != 0 && await tickets.FindConversationAsync(request.TicketId, cancellationToken) is { } known)
        {
            return (known, true);
        }

        var fromExternalId = requested ?? VendorEvents.ConversationIdFromExternalId(ReadExternalId(request.Payload.Span));
        return (fromExternalId, fromExternalId is not null);
    }

    private static string? ReadExternalId(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(payload);
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("external_id", out var value)
                && value.ValueKind == System.Text.Json.JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // the gateway verified the signature, not the template: no external_id, no sync
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {DeliveryId} from {Source} ({Topic}) recorded without a sync")]
    private static partial void LogIgnored(ILogger logger, string source, string topic, string deliveryId);
}
