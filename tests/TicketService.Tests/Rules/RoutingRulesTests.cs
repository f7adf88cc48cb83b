using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Rules;

/// <summary>
/// The rules through the real TicketService (its Program, queue and worker) with the real
/// IdentityService, Postgres, Redis and the sandbox: "only conversations tagged billing", and the
/// mapped group, priority, type, custom fields and tags on the ticket Zendesk stores.
/// </summary>
public sealed class RoutingRulesTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "rules", Settings)
{
    private static Dictionary<string, string?> Settings => new()
    {
        // The docs/SYNC.md example, as environment-style keys.
        ["Rules:Include:0:Name"] = "only-billing",
        ["Rules:Include:0:TagsAny:0"] = "billing",
        ["Rules:TagMap:Billing"] = "billing_queue",
        ["Rules:Routes:0:Name"] = "enterprise-billing",
        ["Rules:Routes:0:Attributes:plan"] = "enterprise",
        ["Rules:Routes:0:Set:GroupId"] = "360002",
        ["Rules:Routes:0:Set:Priority"] = "high",
        ["Rules:Routes:0:Set:Tags:0"] = "enterprise",
        ["Rules:Routes:0:Set:CustomFields:360200"] = "{{conversation.id}}",
        ["Rules:Routes:0:Set:CustomFields:360201"] = "{{priority}}",
        ["Rules:Defaults:Type"] = "question",
        ["Rules:Defaults:Priority"] = "normal",
    };

    [Fact]
    public async Task A_conversation_outside_the_rules_gets_no_ticket_and_one_inside_gets_the_mapped_fields()
    {
        // Two customers: the skipped conversation's must not become a Zendesk user, whatever the other sync does meanwhile.
        var contact = Sandbox.Intercom.AddContact("user", $"ann-{Guid.NewGuid():N}@customers.example", "Ann Example");
        var sales = Sandbox.Intercom.CreateConversation(contact, "Question about seats", "<p>How many seats?</p>");
        Sandbox.Intercom.AddTag(sales.Id, Sandbox.Intercom.Tag("sales"));
        var billingContact = Sandbox.Intercom.AddContact("user", $"bea-{Guid.NewGuid():N}@customers.example", "Bea Example");
        var billing = Sandbox.Intercom.CreateConversation(billingContact, "Invoice wrong", "<p>My invoice is wrong</p>");
        Sandbox.Intercom.AddTag(billing.Id, Sandbox.Intercom.Tag("Billing"));
        lock (Sandbox.Intercom.Gate)
        {
            billing.CustomAttributes["plan"] = "enterprise";
            billing.Priority = "urgent";
        }

        var sync = Stack.Sync;
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = sales.Id }, cancellationToken: Ct);
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = billing.Id }, cancellationToken: Ct);

        var skipped = await Stack.WaitForAttemptAsync(sales.Id, Ct);
        Assert.Equal(Outcome.Skipped, skipped.LastAttempt.Outcome);
        Assert.Equal("Skipped by rules: not tagged billing (rule 'only-billing')", skipped.LastAttempt.Reason);
        Assert.Equal(0, skipped.TicketId);
        Assert.Empty(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{sales.Id}"));
        Assert.DoesNotContain(Sandbox.Zendesk.Users(), u => u.HasEmail(contact.Email!));

        var synced = await Stack.WaitForAttemptAsync(billing.Id, Ct);
        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        var ticket = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{billing.Id}"));
        Assert.Equal(synced.TicketId, ticket.Id);
        Assert.Equal(360002, ticket.GroupId);
        Assert.Equal("high", ticket.Priority);
        Assert.Equal("question", ticket.Type);
        Assert.Equal(["billing_queue", "enterprise", "ferry"], ticket.Tags.Order(StringComparer.Ordinal));
        Assert.Equal([(360200L, (object?)billing.Id), (360201L, "urgent")], ticket.CustomFields.Select(f => (f.Id, f.Value)));

        // Untagged later, the conversation keeps its ticket: new replies still reach it.
        lock (Sandbox.Intercom.Gate)
        {
            billing.Tags.Clear();
        }

        Sandbox.Intercom.AddPart(billing.Id, "comment", Sandbox.Intercom.AuthorFor(billingContact), "<p>Any news?</p>");
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = billing.Id }, cancellationToken: Ct);
        var appended = await Stack.WaitForAttemptAsync(billing.Id, Ct, after: synced.LastAttempt.AttemptId);
        Assert.Equal(Outcome.Success, appended.LastAttempt.Outcome);
        Assert.Equal(ticket.Id, appended.TicketId);
        Assert.Equal(2, Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{billing.Id}")).Comments.Count);
    }
}
