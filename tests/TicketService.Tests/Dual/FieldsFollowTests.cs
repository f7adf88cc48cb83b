using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Dual;

/// <summary>
/// Fields follow the conversation onto its existing ticket (Dual:FieldsFollow), through the real TicketService,
/// IdentityService, Postgres and the sandbox: tags, team → group by name (no map), assignee, rule-mapped priority and
/// custom field; one ticket update per sync, also when the status changes with them.
/// </summary>
public sealed class FieldsFollowTests(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    private const string TicketUpdate = "PUT /api/v2/tickets/{id:long}";

    private SyncStack _stack = null!;
    private SandboxServer _sandbox = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stack = await SyncStack.CreateAsync(postgres, redis, "dual_fields", new Dictionary<string, string?>
        {
            ["Dual:FieldsFollow"] = "true",
            ["Rules:Routes:0:Name"] = "urgent",
            ["Rules:Routes:0:Priorities:0"] = "urgent",
            ["Rules:Routes:0:Set:Priority"] = "urgent",
            ["Rules:Defaults:CustomFields:360200"] = "{{attribute.plan}}",
        }, Ct);
        _sandbox = _stack.Sandbox;
    }

    public async ValueTask DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Tag_team_assignee_and_priority_changes_in_Intercom_show_on_the_ticket()
    {
        var (_, grace, _) = _sandbox.Scenarios.EnsureStaff();
        var billing = _sandbox.Intercom.AddTeam("Billing", [grace.Id]);
        var contact = _sandbox.Intercom.AddContact("user", $"fi-{Guid.NewGuid():N}@customers.example", "Fi Customer");
        var conversation = _sandbox.Intercom.CreateConversation(contact, "Refund", "<p>Please refund me.</p>");
        var created = await SyncAsync(conversation.Id, 0);
        var ticketId = created.TicketId;
        Assert.Equal(["ferry"], _sandbox.Zendesk.Ticket(ticketId)!.Tags);

        // In Intercom: tagged, assigned to team Billing (no Rules:TeamGroups entry), made urgent. An agent tags it in Zendesk too.
        _sandbox.Intercom.AddTag(conversation.Id, _sandbox.Intercom.Tag("VIP"));
        lock (_sandbox.Intercom.Gate)
        {
            conversation.TeamAssigneeId = long.Parse(billing.Id, System.Globalization.CultureInfo.InvariantCulture);
            conversation.Priority = "urgent";
        }

        lock (_sandbox.Zendesk.Gate)
        {
            _sandbox.Zendesk.Ticket(ticketId)!.Tags.Add("escalated");
        }

        var followed = await SyncAsync(conversation.Id, created.LastAttempt.AttemptId);
        var ticket = _sandbox.Zendesk.Ticket(ticketId)!;
        Assert.Equal(["escalated", "ferry", "vip"], ticket.Tags.Order(StringComparer.Ordinal));
        Assert.Equal(360002, ticket.GroupId);
        Assert.Equal("urgent", ticket.Priority);

        // Assigned to Grace, untagged: the assignee follows, the tag goes, the agent's own tag stays.
        lock (_sandbox.Intercom.Gate)
        {
            conversation.AdminAssigneeId = long.Parse(grace.Id, System.Globalization.CultureInfo.InvariantCulture);
            conversation.Tags.Clear();
        }

        await SyncAsync(conversation.Id, followed.LastAttempt.AttemptId);
        ticket = _sandbox.Zendesk.Ticket(ticketId)!;
        var graceAgent = Assert.Single(_sandbox.Zendesk.Users(), u => u.HasEmail(grace.Email));
        Assert.Equal(graceAgent.Id, ticket.AssigneeId);
        Assert.Equal(["escalated", "ferry"], ticket.Tags.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_rule_mapped_custom_field_follows_the_conversation_attribute_in_one_update()
    {
        var (conversation, ticketId, created) = await ConversationWithTicketAsync(plan: "starter");
        Assert.Equal("starter", Assert.Single(_sandbox.Zendesk.Ticket(ticketId)!.CustomFields, f => f.Id == 360200).Value);

        lock (_sandbox.Intercom.Gate)
        {
            conversation.CustomAttributes["plan"] = "enterprise";
        }

        _sandbox.Stats.Reset();
        await SyncAsync(conversation.Id, created);
        Assert.Equal("enterprise", Assert.Single(_sandbox.Zendesk.Ticket(ticketId)!.CustomFields, f => f.Id == 360200).Value);
        Assert.Equal(1, ZendeskTicketUpdates());
    }

    [Fact]
    public async Task A_sync_that_changes_the_status_and_fields_updates_the_ticket_once()
    {
        var (ada, _, _) = _sandbox.Scenarios.EnsureStaff();
        var (conversation, ticketId, created) = await ConversationWithTicketAsync(plan: "starter");
        _sandbox.Intercom.AddTag(conversation.Id, _sandbox.Intercom.Tag("VIP"));
        lock (_sandbox.Intercom.Gate)
        {
            conversation.CustomAttributes["plan"] = "enterprise";
        }

        _sandbox.Intercom.AddPart(conversation.Id, "close", Sandbox.Intercom.IntercomState.AuthorFor(ada), null);

        _sandbox.Stats.Reset();
        await SyncAsync(conversation.Id, created);
        var ticket = _sandbox.Zendesk.Ticket(ticketId)!;
        Assert.Equal("solved", ticket.Status);
        Assert.Equal(["ferry", "vip"], ticket.Tags.Order(StringComparer.Ordinal));
        Assert.Equal("enterprise", Assert.Single(ticket.CustomFields, f => f.Id == 360200).Value);
        Assert.Equal(1, ZendeskTicketUpdates());
    }

    private async Task<(Sandbox.Intercom.IcConversation Conversation, long TicketId, long AttemptId)> ConversationWithTicketAsync(string plan)
    {
        var contact = _sandbox.Intercom.AddContact("user", $"gi-{Guid.NewGuid():N}@customers.example", "Gi Customer");
        var conversation = _sandbox.Intercom.CreateConversation(contact, "Upgrade", "<p>Which plan fits us?</p>");
        lock (_sandbox.Intercom.Gate)
        {
            conversation.CustomAttributes["plan"] = plan;
        }

        var created = await SyncAsync(conversation.Id, 0);
        return (conversation, created.TicketId, created.LastAttempt.AttemptId);
    }

    private long ZendeskTicketUpdates() => _sandbox.Stats.Snapshot()["zendesk"].Requests.GetValueOrDefault(TicketUpdate);

    private async Task<SyncState> SyncAsync(string conversationId, long after)
    {
        var state = await _stack.RequestAndWaitAsync(conversationId, after, Ct);
        Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);
        return state;
    }
}
