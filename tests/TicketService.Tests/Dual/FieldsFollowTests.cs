using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Dual;

/// <summary>
/// Fields follow the conversation onto its existing ticket (Dual:FieldsFollow), through the real TicketService,
/// IdentityService, Postgres and the sandbox: tags, team → group by name (no map), assignee, rule-mapped priority.
/// </summary>
public sealed class FieldsFollowTests(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
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

    private async Task<SyncState> SyncAsync(string conversationId, long after)
    {
        var state = await _stack.RequestAndWaitAsync(conversationId, after, Ct);
        Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);
        return state;
    }
}
