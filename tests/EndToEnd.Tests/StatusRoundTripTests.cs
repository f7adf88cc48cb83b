using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.V1;

namespace Ferry.EndToEnd.Tests;

/// <summary>Issue 8 through the real app model: sandbox webhooks → gateway → queue → worker → the other vendor.</summary>
public abstract class StatusRoundTripScenarios(FerryApp ferry)
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    protected FerryApp Ferry => ferry;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new conversation whose ticket Ferry has created (status open).</summary>
    protected async Task<(string ContactId, string ConversationId, long TicketId)> SyncedConversationAsync(string email)
    {
        var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email, name = "Sam Status" }, Ct);
        var contactId = contact["id"]!.GetValue<string>();
        var conversation = await ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId, body = "<p>Please help</p>" }, Ct);
        var conversationId = conversation["id"]!.GetValue<string>();
        var tickets = await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, Timeout, Ct);
        await SettledAsync(conversationId);
        return (contactId, conversationId, tickets[0]["ticket"]!["id"]!.GetValue<long>());
    }

    protected Task<JsonObject> IntercomAsync(string conversationId) => ferry.GetAdminAsync($"/admin/intercom/conversations/{conversationId}", Ct);

    protected Task<JsonObject> WaitForIntercomAsync(string conversationId, Func<JsonObject, bool> done) =>
        FerryApp.EventuallyAsync(() => IntercomAsync(conversationId), done, Timeout, $"Intercom conversation {conversationId}", Ct);

    protected static string State(JsonObject conversation) => conversation["state"]!.GetValue<string>();

    protected static List<JsonObject> Parts(JsonObject conversation, string type) =>
        [.. conversation["conversation_parts"]!["conversation_parts"]!.AsArray().Select(p => p!.AsObject()).Where(p => p["part_type"]!.GetValue<string>() == type)];

    protected async Task<JsonObject> TicketAsync(string conversationId) => (await ferry.TicketsForAsync(conversationId, Ct)).Single();

    protected static string Status(JsonObject ticket) => ticket["ticket"]!["status"]!.GetValue<string>();

    /// <summary>An agent changes the ticket's status in Zendesk; the sandbox sends the status webhook.</summary>
    protected async Task SetZendeskStatusAsync(long ticketId, string status)
    {
        using var response = await ferry.Sandbox.PostAsync(new Uri($"/admin/zendesk/tickets/{ticketId}/status?status={status}", UriKind.Relative), null, Ct);
        response.EnsureSuccessStatusCode();
    }

    protected async Task<string> NewAdminAsync(string name, string email) =>
        (await ferry.PostAdminAsync("/admin/intercom/admins", new { name, email }, Ct))["id"]!.GetValue<string>();

    protected Task AddPartAsync(string conversationId, string partType, string authorType, string authorId, string? body = null) =>
        ferry.PostAdminAsync($"/admin/intercom/conversations/{conversationId}/parts", new { partType, authorType, authorId, body }, Ct);

    protected async Task<IReadOnlyList<Attempt>> AttemptsAsync(string conversationId) =>
        (await new V1.Sync.SyncClient(ferry.Gateway).ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId, PageSize = 100 }, cancellationToken: Ct)).Attempts;

    protected Task<IReadOnlyList<Attempt>> WaitForAttemptsAsync(string conversationId, Func<IReadOnlyList<Attempt>, bool> done) =>
        FerryApp.EventuallyAsync(() => AttemptsAsync(conversationId), done, Timeout, $"Attempts of {conversationId}", Ct);

    /// <summary>Every webhook the sandbox owes has been delivered and the conversation's job is done.</summary>
    protected async Task SettledAsync(string conversationId)
    {
        var sync = new V1.Sync.SyncClient(ferry.Gateway);
        await FerryApp.EventuallyAsync(
            async () => (Pending: (await ferry.GetAdminAsync("/admin/state", Ct))["webhooks"]!["pending"]!.GetValue<int>(),
                Job: (await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct)).JobState),
            s => s.Pending == 0 && s.Job == JobState.Done, Timeout, $"Conversation {conversationId} settling", Ct);
    }
}

[Collection(DefaultFerryApp.Name)]
public sealed class StatusRoundTripTests(FerryApp ferry) : StatusRoundTripScenarios(ferry)
{
    [Fact]
    public async Task Solving_the_ticket_closes_the_conversation_once_and_the_echo_is_dropped_without_writes()
    {
        var (_, conversationId, ticketId) = await SyncedConversationAsync("solve.in.zendesk@customer.example");

        await SetZendeskStatusAsync(ticketId, "solved");

        var conversation = await WaitForIntercomAsync(conversationId, c => State(c) == "closed");
        var close = Assert.Single(Parts(conversation, "close"));
        Assert.Equal("ada@sandbox.example", close["author"]!["email"]!.GetValue<string>()); // the configured admin

        // Intercom tells Ferry about Ferry's own close: recognised, dropped, no vendor write.
        var attempts = await WaitForAttemptsAsync(conversationId, a => a.Any(x => x.Origin == "ferry"));
        var echo = attempts.First(a => a.Origin == "ferry");
        Assert.Equal(Outcome.Skipped, echo.Outcome);
        Assert.Equal(0, echo.VendorWrites);
        Assert.Equal("zendesk->intercom", echo.Direction);
        var change = Assert.Single(attempts, a => a.Origin == "zendesk" && a.Outcome == Outcome.Success);
        Assert.Equal("zendesk->intercom", change.Direction);
        Assert.Equal(1, change.VendorWrites);

        await SettledAsync(conversationId);
        Assert.Single(Parts(await IntercomAsync(conversationId), "close"));
        Assert.Empty(Parts(await IntercomAsync(conversationId), "open"));
        var ticket = await TicketAsync(conversationId);
        Assert.Equal("solved", Status(ticket));
        Assert.Single(ticket["comments"]!.AsArray());
    }

    [Fact]
    public async Task Closing_the_conversation_solves_the_ticket_and_Zendesks_echo_is_dropped_without_writes()
    {
        var (_, conversationId, _) = await SyncedConversationAsync("close.in.intercom@customer.example");
        var admin = await NewAdminAsync("Casey Closer", "casey.closer@ferry.example");

        await AddPartAsync(conversationId, "close", "admin", admin);

        await Ferry.WaitForTicketsAsync(conversationId, t => Status(t[0]) == "solved", Timeout, Ct);
        var attempts = await WaitForAttemptsAsync(conversationId, a => a.Any(x => x.Origin == "ferry"));
        var echo = attempts.First(a => a.Origin == "ferry");
        Assert.Equal(Outcome.Skipped, echo.Outcome);
        Assert.Equal(0, echo.VendorWrites);
        Assert.Equal("intercom->zendesk", echo.Direction);

        await SettledAsync(conversationId);
        var conversation = await IntercomAsync(conversationId);
        Assert.Equal("closed", State(conversation));
        Assert.Single(Parts(conversation, "close")); // only Casey's: Ferry never wrote back
        Assert.Equal("solved", Status(await TicketAsync(conversationId)));
    }

    [Fact]
    public async Task A_Zendesk_reopen_leaves_the_conversation_closed_by_default_until_the_customer_writes_again()
    {
        var (contactId, conversationId, ticketId) = await SyncedConversationAsync("reopen.off@customer.example");
        await SetZendeskStatusAsync(ticketId, "solved");
        await WaitForIntercomAsync(conversationId, c => State(c) == "closed");
        await SettledAsync(conversationId);

        await SetZendeskStatusAsync(ticketId, "open");

        var attempts = await WaitForAttemptsAsync(conversationId, a => a.Any(x => x.Reason.Contains("ReopenIntercomOnZendeskReopen is off", StringComparison.Ordinal)));
        var skipped = attempts.First(a => a.Reason.Contains("ReopenIntercomOnZendeskReopen", StringComparison.Ordinal));
        Assert.Equal(Outcome.Skipped, skipped.Outcome);
        Assert.Equal(0, skipped.VendorWrites);
        await SettledAsync(conversationId);
        Assert.Equal("closed", State(await IntercomAsync(conversationId)));

        // The customer's reply reopens the conversation; the ticket gets the comment and stays open.
        await AddPartAsync(conversationId, "comment", "user", contactId, "<p>Still broken</p>");
        var tickets = await Ferry.WaitForTicketsAsync(conversationId, t => t[0]["comments"]!.AsArray().Count == 2, Timeout, Ct);
        Assert.Equal("open", Status(tickets[0]));
        await SettledAsync(conversationId);
        Assert.Equal("open", State(await IntercomAsync(conversationId)));
    }

    [Fact]
    public async Task Reordered_and_duplicated_webhooks_settle_on_each_sides_latest_status()
    {
        var (_, conversationId, ticketId) = await SyncedConversationAsync("reordered@customer.example");
        var admin = await NewAdminAsync("Riley Reopen", "riley.reopen@ferry.example");
        await Ferry.SetFaultsAsync(new { duplicateWebhookRate = 1.0, reorderWebhooks = true }, Ct);
        try
        {
            // A stale "open" (its webhook overtaken by the later "solved"), every webhook twice.
            await SetZendeskStatusAsync(ticketId, "open");
            await SetZendeskStatusAsync(ticketId, "solved");
            await WaitForIntercomAsync(conversationId, c => State(c) == "closed");
            await SettledAsync(conversationId);

            // Closed and reopened in Intercom by a teammate, the webhooks reversed and doubled.
            await AddPartAsync(conversationId, "open", "admin", admin);
            await Ferry.WaitForTicketsAsync(conversationId, t => Status(t[0]) == "open", Timeout, Ct);
            await SettledAsync(conversationId);
        }
        finally
        {
            await Ferry.SetFaultsAsync(new { }, Ct);
        }

        var conversation = await IntercomAsync(conversationId);
        Assert.Equal("open", State(conversation));
        Assert.Single(Parts(conversation, "close")); // Ferry closed it once, never flapped
        Assert.Single(Parts(conversation, "open"));  // Riley's
        var ticket = await TicketAsync(conversationId);
        Assert.Equal("open", Status(ticket));
        Assert.Single(ticket["comments"]!.AsArray());
    }

    [Fact]
    public async Task A_reply_after_the_ticket_was_closed_goes_into_a_linked_follow_up_ticket()
    {
        var (contactId, conversationId, ticketId) = await SyncedConversationAsync("follow.up@customer.example");
        await SetZendeskStatusAsync(ticketId, "closed");
        await WaitForIntercomAsync(conversationId, c => State(c) == "closed");
        await SettledAsync(conversationId);

        await AddPartAsync(conversationId, "comment", "user", contactId, "<p>One more thing</p>");

        var tickets = await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 2, Timeout, Ct);
        var followUp = tickets.Single(t => t["ticket"]!["id"]!.GetValue<long>() != ticketId);
        Assert.Equal("follow_up", followUp["ticket"]!["via"]!["source"]!["rel"]!.GetValue<string>());
        Assert.Equal(ticketId, followUp["ticket"]!["via"]!["source"]!["from"]!["ticket_id"]!.GetValue<long>());
        Assert.Equal("<p>One more thing</p>", followUp["comments"]!.AsArray().Last()!["html_body"]!.GetValue<string>());
        Assert.Equal("closed", Status(tickets.Single(t => t["ticket"]!["id"]!.GetValue<long>() == ticketId)));

        await SettledAsync(conversationId);
        var state = await new V1.Sync.SyncClient(Ferry.Gateway).GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
        Assert.Equal(followUp["ticket"]!["id"]!.GetValue<long>(), state.TicketId);
    }
}

/// <summary>Ferry with <c>Status:ReopenIntercomOnZendeskReopen</c> switched on.</summary>
public sealed class FerryAppReopening : FerryApp
{
    protected override void Configure(IDistributedApplicationTestingBuilder builder) =>
        builder.CreateResourceBuilder<ProjectResource>("tickets").WithEnvironment("Status__ReopenIntercomOnZendeskReopen", "true");
}

public sealed class StatusRoundTripReopeningTests(FerryAppReopening ferry) : StatusRoundTripScenarios(ferry), IClassFixture<FerryAppReopening>
{
    [Fact]
    public async Task With_the_setting_on_a_Zendesk_reopen_reopens_the_conversation_and_its_echo_is_dropped()
    {
        var (_, conversationId, ticketId) = await SyncedConversationAsync("reopen.on@customer.example");
        await SetZendeskStatusAsync(ticketId, "solved");
        await WaitForIntercomAsync(conversationId, c => State(c) == "closed");
        await SettledAsync(conversationId);

        await SetZendeskStatusAsync(ticketId, "open");

        var conversation = await WaitForIntercomAsync(conversationId, c => State(c) == "open");
        var reopen = Assert.Single(Parts(conversation, "open"));
        Assert.Equal("ada@sandbox.example", reopen["author"]!["email"]!.GetValue<string>());
        await SettledAsync(conversationId);

        var attempts = await AttemptsAsync(conversationId);
        Assert.Equal(2, attempts.Count(a => a.Origin == "zendesk" && a.Outcome == Outcome.Success)); // close, reopen
        Assert.All(attempts.Where(a => a.Origin == "ferry"), a => Assert.Equal(0, a.VendorWrites));
        Assert.Equal("open", Status(await TicketAsync(conversationId)));
        Assert.Single(Parts(await IntercomAsync(conversationId), "close"));
    }
}
