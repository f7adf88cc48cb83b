using System.Text;
using Ferry.Gateway.Webhooks;

namespace Ferry.Gateway.Tests.Unit;

public sealed class PayloadParsingTests
{
    private static ReadOnlyMemory<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Intercom_conversation_topic_gives_conversation_id_and_its_updated_at()
    {
        var parsed = IntercomNotification.Parse(Utf8("""
            {"type":"notification_event","id":"notif_abc","topic":"conversation.user.replied","created_at":1764079200,
             "data":{"type":"notification_event_data","item":{"type":"conversation","id":"456","updated_at":1764079100}}}
            """));
        var notification = Assert.IsType<IntercomNotification>(parsed.Value);
        Assert.Equal("notif_abc", notification.Id);
        Assert.Equal("456", notification.ConversationId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764079100), notification.EventAt);
        Assert.True(notification.IsUsed);
        Assert.False(notification.IsPing);
    }

    [Theory]
    [InlineData("conversation_part.tag.created")]
    [InlineData("conversation.priority.updated")]
    public void Intercom_tag_and_priority_topics_name_their_conversation(string topic)
    {
        var body = """{"id":"notif_t","topic":"TOPIC","created_at":1764079200,"data":{"item":{"type":"conversation","id":"789"}}}""";
        var parsed = IntercomNotification.Parse(Utf8(body.Replace("TOPIC", topic, StringComparison.Ordinal)));
        Assert.Equal("789", parsed.Value!.ConversationId);
        Assert.True(parsed.Value.IsUsed);
    }

    [Fact]
    public void Intercom_event_time_falls_back_to_the_notification_created_at()
    {
        var parsed = IntercomNotification.Parse(Utf8("""
            {"id":"notif_1","topic":"conversation.admin.closed","created_at":1764079200,"data":{"item":{"id":456}}}
            """));
        Assert.Equal("456", parsed.Value!.ConversationId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764079200), parsed.Value.EventAt);
    }

    [Theory]
    [InlineData("{not json", "body is not valid JSON")]
    [InlineData("[1,2]", "body is not a JSON object")]
    [InlineData("""{"id":"n1","data":{}}""", "missing field: topic")]
    [InlineData("""{"topic":"ping"}""", "missing field: id")]
    [InlineData("""{"id":"n1","topic":"conversation.user.created","data":{"item":{}}}""", "missing field: data.item.id")]
    public void Intercom_malformed_notifications_give_a_reason(string body, string reason)
    {
        var parsed = IntercomNotification.Parse(Utf8(body));
        Assert.Null(parsed.Value);
        Assert.Equal(reason, parsed.Error);
    }

    [Fact]
    public void Intercom_ping_and_unused_topics_are_recognised()
    {
        Assert.True(IntercomNotification.Parse(Utf8("""{"id":"n1","topic":"ping","data":{"item":{}}}""")).Value!.IsPing);
        var unused = IntercomNotification.Parse(Utf8("""{"id":"n2","topic":"company.created","data":{"item":{"id":"c1"}}}""")).Value!;
        Assert.False(unused.IsUsed);
        Assert.Null(unused.ConversationId);
    }

    [Fact]
    public void Intercom_contact_topics_are_used_without_a_conversation_id()
    {
        var contact = IntercomNotification.Parse(Utf8("""{"id":"n3","topic":"contact.user.updated","data":{"item":{"id":"contact_1"}}}""")).Value!;
        Assert.True(contact.IsUsed);
        Assert.Null(contact.ConversationId);
    }

    [Fact]
    public void Zendesk_documented_template_parses()
    {
        var parsed = ZendeskTicketEvent.Parse(Utf8("""
            {"ticket_id": "123", "external_id": "intercom-conversation-456", "status": "solved", "updated_at": "2026-11-25T14:00:00Z"}
            """));
        var ticket = Assert.IsType<ZendeskTicketEvent>(parsed.Value);
        Assert.Equal(123, ticket.TicketId);
        Assert.Equal("456", ticket.ConversationId);
        Assert.Equal("solved", ticket.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 14, 0, 0, TimeSpan.Zero), ticket.UpdatedAt);
    }

    [Fact]
    public void Zendesk_comment_template_is_a_comment_delivery_and_an_empty_comment_id_a_status_one()
    {
        var comment = ZendeskTicketEvent.Parse(Utf8("""
            {"ticket_id": "123", "external_id": "intercom-conversation-456", "status": "open", "updated_at": "2026-11-25T14:00:00Z", "comment_id": "9001"}
            """)).Value!;
        Assert.Equal(("ticket.comment_added", "9001", "456"), (comment.Topic, comment.CommentId, comment.ConversationId));

        var rendered = ZendeskTicketEvent.Parse(Utf8("""{"ticket_id":"123","external_id":"","status":"open","comment_id":""}""")).Value!;
        Assert.Equal("ticket.status_changed", rendered.Topic);
    }

    [Fact]
    public void Zendesk_minute_precision_timestamps_and_numeric_ids_parse()
    {
        // {{ticket.updated_at_with_timestamp}} renders e.g. 2013-12-12T05:35Z (no seconds).
        var ticket = ZendeskTicketEvent.Parse(Utf8("""{"ticket_id":123,"external_id":"","status":"Solved","updated_at":"2013-12-12T05:35Z"}""")).Value!;
        Assert.Equal(123, ticket.TicketId);
        Assert.Null(ticket.ConversationId);
        Assert.Equal(new DateTimeOffset(2013, 12, 12, 5, 35, 0, TimeSpan.Zero), ticket.UpdatedAt);
    }

    [Theory]
    [InlineData("", "body is not valid JSON")]
    [InlineData("\"text\"", "body is not a JSON object")]
    [InlineData("""{"status":"solved"}""", "missing field: ticket_id")]
    [InlineData("""{"ticket_id":"abc","status":"solved"}""", "ticket_id is not a positive integer")]
    [InlineData("""{"ticket_id":"123"}""", "missing field: status")]
    public void Zendesk_malformed_events_give_a_reason(string body, string reason)
    {
        var parsed = ZendeskTicketEvent.Parse(Utf8(body));
        Assert.Null(parsed.Value);
        Assert.Equal(reason, parsed.Error);
    }

    [Fact]
    public void Zendesk_delivery_id_without_invocation_id_is_stable_per_signed_content()
    {
        var body = Encoding.UTF8.GetBytes("""{"ticket_id":"1","status":"open"}""");
        Assert.Equal(ZendeskWebhooks.ContentDeliveryId("t1", body), ZendeskWebhooks.ContentDeliveryId("t1", body));
        Assert.NotEqual(ZendeskWebhooks.ContentDeliveryId("t1", body), ZendeskWebhooks.ContentDeliveryId("t2", body));
    }
}
