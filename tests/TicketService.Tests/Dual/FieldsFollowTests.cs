using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Dual;

/// <summary>
/// Fields follow the conversation onto its existing ticket (Dual:FieldsFollow), through the real TicketService,
/// IdentityService, Postgres and the sandbox: tags, team → group by name (no map), assignee, rule-mapped priority and
/// custom field; one ticket update per sync, also when the status changes with them.
/// </summary>
public sealed class FieldsFollowTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "dual_fields", Settings)
{
    private const string TicketUpdate = "PUT /api/v2/tickets/{id:long}";

    private static Dictionary<string, string?> Settings => new()
    {
        ["Dual:FieldsFollow"] = "true",
        ["Rules:Routes:0:Name"] = "urgent",
        ["Rules:Routes:0:Priorities:0"] = "urgent",
        ["Rules:Routes:0:Set:Priority"] = "urgent",
        ["Rules:Defaults:CustomFields:360200"] = "{{attribute.plan}}",
    };

    [Fact]
    public async Task Tag_team_assignee_and_priority_changes_in_Intercom_show_on_the_ticket()
    {
        var (_, grace, _) = Sandbox.Scenarios.EnsureStaff();
        var billing = Sandbox.Intercom.AddTeam("Billing", [grace.Id]);
        var contact = Sandbox.Intercom.AddContact("user", $"fi-{Guid.NewGuid():N}@customers.example", "Fi Customer");
        var conversation = Sandbox.Intercom.CreateConversation(contact, "Refund", "<p>Please refund me.</p>");
        var created = await SyncAsync(conversation.Id, 0);
        var ticketId = created.TicketId;
        Assert.Equal(["ferry"], Sandbox.Zendesk.Ticket(ticketId)!.Tags);

        // In Intercom: tagged, assigned to team Billing (no Rules:TeamGroups entry), made urgent. An agent tags it in Zendesk too.
        Sandbox.Intercom.AddTag(conversation.Id, Sandbox.Intercom.Tag("VIP"));
        lock (Sandbox.Intercom.Gate)
        {
            conversation.TeamAssigneeId = long.Parse(billing.Id, System.Globalization.CultureInfo.InvariantCulture);
            conversation.Priority = "urgent";
        }

        lock (Sandbox.Zendesk.Gate)
        {
            Sandbox.Zendesk.Ticket(ticketId)!.Tags.Add("escalated");
        }

        var followed = await SyncAsync(conversation.Id, created.LastAttempt.AttemptId);
        var ticket = Sandbox.Zendesk.Ticket(ticketId)!;
        Assert.Equal(["escalated", "ferry", "vip"], ticket.Tags.Order(StringComparer.Ordinal));
        Assert.Equal(360002, ticket.GroupId);
        Assert.Equal("urgent", ticket.Priority);

        // Assigned to Grace, untagged: the assignee follows, the tag goes, the agent's own tag stays.
        lock (Sandbox.Intercom.Gate)
        {
            conversation.AdminAssigneeId = long.Parse(grace.Id, System.Globalization.CultureInfo.InvariantCulture);
            conversation.Tags.Clear();
        }

        await SyncAsync(conversation.Id, followed.LastAttempt.AttemptId);
        ticket = Sandbox.Zendesk.Ticket(ticketId)!;
        var graceAgent = Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(grace.Email));
        Assert.Equal(graceAgent.Id, ticket.AssigneeId);
        Assert.Equal(["escalated", "ferry"], ticket.Tags.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_rule_mapped_custom_field_follows_the_conversation_attribute_in_one_update()
    {
        var (conversation, ticketId, created) = await ConversationWithTicketAsync(plan: "starter");
        Assert.Equal("starter", Assert.Single(Sandbox.Zendesk.Ticket(ticketId)!.CustomFields, f => f.Id == 360200).Value);

        lock (Sandbox.Intercom.Gate)
        {
            conversation.CustomAttributes["plan"] = "enterprise";
        }

        Sandbox.Stats.Reset();
        await SyncAsync(conversation.Id, created);
        Assert.Equal("enterprise", Assert.Single(Sandbox.Zendesk.Ticket(ticketId)!.CustomFields, f => f.Id == 360200).Value);
        Assert.Equal(1, ZendeskTicketUpdates());
    }

    [Fact]
    public async Task A_sync_that_changes_the_status_and_fields_updates_the_ticket_once()
    {
        var (ada, _, _) = Sandbox.Scenarios.EnsureStaff();
        var (conversation, ticketId, created) = await ConversationWithTicketAsync(plan: "starter");
        Sandbox.Intercom.AddTag(conversation.Id, Sandbox.Intercom.Tag("VIP"));
        lock (Sandbox.Intercom.Gate)
        {
            conversation.CustomAttributes["plan"] = "enterprise";
        }

        Sandbox.Intercom.AddPart(conversation.Id, "close", Ferry.Sandbox.Intercom.IntercomState.AuthorFor(ada), null);

        Sandbox.Stats.Reset();
        await SyncAsync(conversation.Id, created);
        var ticket = Sandbox.Zendesk.Ticket(ticketId)!;
        Assert.Equal("solved", ticket.Status);
        Assert.Equal(["ferry", "vip"], ticket.Tags.Order(StringComparer.Ordinal));
        Assert.Equal("enterprise", Assert.Single(ticket.CustomFields, f => f.Id == 360200).Value);
        Assert.Equal(1, ZendeskTicketUpdates());
    }

    private async Task<(Ferry.Sandbox.Intercom.IcConversation Conversation, long TicketId, long AttemptId)> ConversationWithTicketAsync(string plan)
    {
        var contact = Sandbox.Intercom.AddContact("user", $"gi-{Guid.NewGuid():N}@customers.example", "Gi Customer");
        var conversation = Sandbox.Intercom.CreateConversation(contact, "Upgrade", "<p>Which plan fits us?</p>");
        lock (Sandbox.Intercom.Gate)
        {
            conversation.CustomAttributes["plan"] = plan;
        }

        var created = await SyncAsync(conversation.Id, 0);
        return (conversation, created.TicketId, created.LastAttempt.AttemptId);
    }

    private long ZendeskTicketUpdates() => Sandbox.Stats.Snapshot()["zendesk"].Requests.GetValueOrDefault(TicketUpdate);

    private async Task<SyncState> SyncAsync(string conversationId, long after)
    {
        var state = await Stack.RequestAndWaitAsync(conversationId, after, Ct);
        Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);
        return state;
    }
}
