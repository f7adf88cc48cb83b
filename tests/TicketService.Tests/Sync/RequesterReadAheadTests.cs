using System.Text;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;
using Ferry.Testing;
using Ferry.V1;
using Google.Protobuf;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>
/// An attempt a webhook started reads the requester that webhook named while it reads the conversation: the
/// contact read needs nothing from the conversation, which only confirms who the requester is. Through the real
/// TicketService, IdentityService, Postgres, Redis and the sandbox (its journal shows which reads were in flight at once).
/// </summary>
public sealed class RequesterReadAheadTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "readahead", new Dictionary<string, string?>())
{
    [Fact]
    public async Task The_requester_a_webhook_names_is_read_while_the_conversation_is()
    {
        var sandbox = Stack.Sandbox;
        var contact = sandbox.Intercom.AddContact("user", $"rae-{Guid.NewGuid():N}@customers.example", "Rae Example");
        var conversation = sandbox.Intercom.CreateConversation(contact, "Refund", "<p>Where is my refund?</p>");

        await SyncThroughWebhookAsync(conversation.Id, await WebhookAsync(conversation.Id));

        var journal = sandbox.Stats.Journal();
        var conversationRead = Assert.Single(journal, r => r.Method == "GET" && r.PathAndQuery.StartsWith($"/intercom/conversations/{conversation.Id}", StringComparison.Ordinal));
        var contactRead = Assert.Single(journal, r => r.Method == "GET" && r.PathAndQuery.StartsWith($"/intercom/contacts/{contact.Id}", StringComparison.Ordinal));
        Assert.True(contactRead.Overlaps(conversationRead),
            $"the contact was read after the conversation: conversation {conversationRead.Arrived}–{conversationRead.Answered}, contact {contactRead.Arrived}–{contactRead.Answered} (Stopwatch ticks)");
        var ticket = Assert.Single(sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
        Assert.True(sandbox.Zendesk.User(ticket.RequesterId)!.HasEmail(contact.Email!));
    }

    [Fact]
    public async Task When_the_webhook_named_another_contact_the_conversation_decides_the_requester()
    {
        var sandbox = Stack.Sandbox;
        var contact = sandbox.Intercom.AddContact("user", $"sam-{Guid.NewGuid():N}@customers.example", "Sam Example");
        var stranger = sandbox.Intercom.AddContact("user", $"stranger-{Guid.NewGuid():N}@customers.example", "Stranger Example");
        var conversation = sandbox.Intercom.CreateConversation(contact, "Login", "<p>I cannot log in</p>");
        var webhook = JsonNode.Parse(await WebhookAsync(conversation.Id))!;
        webhook["data"]!["item"]!["contacts"]!["contacts"]![0]!["id"] = stranger.Id;

        await SyncThroughWebhookAsync(conversation.Id, Encoding.UTF8.GetBytes(webhook.ToJsonString()));

        // The contact read ahead was not the requester: it cost one Intercom read, and nothing in Zendesk.
        var ticket = Assert.Single(sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
        Assert.True(sandbox.Zendesk.User(ticket.RequesterId)!.HasEmail(contact.Email!));
        Assert.DoesNotContain(sandbox.Zendesk.Users(), u => u.HasEmail(stranger.Email!));
        Assert.Single(sandbox.Stats.Journal(), r => r.PathAndQuery.StartsWith($"/intercom/contacts/{contact.Id}", StringComparison.Ordinal));
    }

    /// <summary>Hands the webhook over as the gateway does, every Intercom read held 300 ms, and waits for the attempt.</summary>
    private async Task SyncThroughWebhookAsync(string conversationId, byte[] payload)
    {
        var sandbox = Stack.Sandbox;
        sandbox.Faults.Current = new FaultSettings { Scope = "intercom", LatencyMs = 300 };
        try
        {
            using var channel = Stack.Tickets.CreateGrpcChannel();
            await new SyncInbox.SyncInboxClient(channel).EnqueueAsync(new EnqueueRequest
            {
                Source = Vendor.Intercom,
                DeliveryId = $"notif_{Guid.NewGuid():N}",
                Topic = "conversation.user.created",
                ConversationId = conversationId,
                Payload = ByteString.CopyFrom(payload),
            }, cancellationToken: Ct);
            var state = await Stack.WaitForAttemptAsync(conversationId, Ct);
            Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);
        }
        finally
        {
            sandbox.Faults.Current = new FaultSettings();
        }
    }

    /// <summary>The notification Intercom would post for the conversation: the conversation as its API renders it.</summary>
    private async Task<byte[]> WebhookAsync(string conversationId)
    {
        using var intercom = Stack.Sandbox.CreateIntercomClient();
        var rendered = await intercom.GetStringAsync(new Uri($"conversations/{conversationId}", UriKind.Relative), Ct);
        Stack.Sandbox.Stats.Reset();
        return Encoding.UTF8.GetBytes($$$"""{"type":"notification_event","id":"notif_test","topic":"conversation.user.created","data":{"type":"notification_event_data","item":{{{rendered}}}}}""");
    }
}
