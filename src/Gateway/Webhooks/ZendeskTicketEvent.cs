using System.Globalization;
using System.Text.Json;
using Ferry.ServiceDefaults.Vendors;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// The body of Ferry's Zendesk webhooks (docs/WEBHOOKS.md):
/// <c>{"ticket_id":"{{ticket.id}}","external_id":"{{ticket.external_id}}","status":"{{ticket.status}}","updated_at":"{{ticket.updated_at_with_timestamp}}"}</c>,
/// and for the comment trigger the same with <c>"comment_id":"{{ticket.latest_comment.id}}"</c>.
/// </summary>
public sealed record ZendeskTicketEvent(long TicketId, string? ExternalId, string Status, DateTimeOffset? UpdatedAt, string? CommentId = null)
{
    /// <summary>
    /// A comment delivery wakes the conversation's sync like a status one; its comment id also makes two comments
    /// in the same second two deliveries (the delivery id hashes the body).
    /// </summary>
    public string Topic => string.IsNullOrEmpty(CommentId) ? VendorEvents.ZendeskStatusTopic : VendorEvents.ZendeskCommentTopic;

    /// <summary>The Intercom conversation behind a ticket Ferry created, from its <c>external_id</c>.</summary>
    public string? ConversationId => VendorEvents.ConversationIdFromExternalId(ExternalId);

    public static WebhookParse<ZendeskTicketEvent> Parse(ReadOnlyMemory<byte> body)
    {
        return Json.ParseObject(body, root =>
        {
            var ticket = Json.Id(root, "ticket_id");
            if (ticket is null)
            {
                return Fail("missing field: ticket_id");
            }

            if (!long.TryParse(ticket, NumberStyles.None, CultureInfo.InvariantCulture, out var ticketId) || ticketId <= 0)
            {
                return Fail("ticket_id is not a positive integer");
            }

            var status = Json.Id(root, "status");
            if (status is null)
            {
                return Fail("missing field: status");
            }

            return Ok(new ZendeskTicketEvent(
                ticketId, Json.Id(root, "external_id"), status, Json.Iso8601(root, "updated_at"), Json.Id(root, "comment_id")));
        });
    }

    private static WebhookParse<ZendeskTicketEvent> Ok(ZendeskTicketEvent value) => new(value, null);

    private static WebhookParse<ZendeskTicketEvent> Fail(string error) => new(null, error);
}
