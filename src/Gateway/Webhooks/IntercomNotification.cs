using System.Collections.Frozen;
using System.Text.Json;
using Ferry.ServiceDefaults.Vendors;

namespace Ferry.Gateway.Webhooks;

/// <summary>What the gateway needs from an Intercom notification envelope; the raw body travels on untouched.</summary>
public sealed record IntercomNotification(string Id, string Topic, string? ConversationId, DateTimeOffset? EventAt)
{
    public const string PingTopic = "ping";

    /// <summary>
    /// Topics Ferry records: the conversation topics TicketService syncs on, and contact updates (recorded,
    /// starting nothing); every other topic is acknowledged and counted only.
    /// </summary>
    public static FrozenSet<string> UsedTopics { get; } =
        VendorEvents.IntercomSyncTopics.Append("contact.user.updated").Append("contact.lead.updated").ToFrozenSet(StringComparer.Ordinal);

    public bool IsPing => Topic == PingTopic;

    public bool IsUsed => UsedTopics.Contains(Topic);

    public static WebhookParse<IntercomNotification> Parse(ReadOnlyMemory<byte> body)
    {
        return Json.ParseObject(body, root =>
        {
            var topic = Json.Id(root, "topic");
            if (topic is null)
            {
                return Fail("missing field: topic");
            }

            var id = Json.Id(root, "id");
            if (id is null)
            {
                return Fail("missing field: id");
            }

            var item = Json.Child(Json.Child(root, "data"), "item");
            string? conversationId = null;
            if (VendorEvents.IntercomSyncTopics.Contains(topic))
            {
                conversationId = Json.Id(item, "id");
                if (conversationId is null)
                {
                    return Fail("missing field: data.item.id");
                }
            }

            // The conversation's own clock orders events; arrival time never does.
            var eventAt = Json.UnixSeconds(item, "updated_at") ?? Json.UnixSeconds(root, "created_at");
            return Ok(new IntercomNotification(id, topic, conversationId, eventAt));
        });
    }

    private static WebhookParse<IntercomNotification> Ok(IntercomNotification value) => new(value, null);

    private static WebhookParse<IntercomNotification> Fail(string error) => new(null, error);
}
