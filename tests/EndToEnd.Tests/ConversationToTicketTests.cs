using Aspire.Hosting.Testing;
using System.Text.Json.Nodes;
using Ferry.V1;

namespace Ferry.EndToEnd.Tests;

/// <summary>Issue 6's "done when", through the real app model: webhook → gateway → queue → worker → Zendesk.</summary>
[Collection(DefaultFerryApp.Name)]
public sealed class ConversationToTicketTests(FerryApp ferry)
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string ContactId, string ConversationId)> NewConversationAsync(string email, string body = "<p>My invoice is wrong</p>")
    {
        var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email, name = "Ann Example" }, Ct);
        var contactId = contact["id"]!.GetValue<string>();
        var conversation = await ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId, subject = "", body }, Ct);
        return (contactId, conversation["id"]!.GetValue<string>());
    }

    private Task<JsonObject> AddPartAsync(string conversationId, string partType, string authorType, string authorId, string? body, bool notify = true) =>
        ferry.PostAdminAsync($"/admin/intercom/conversations/{conversationId}/parts", new { partType, authorType, authorId, body, notify }, Ct);

    private static JsonArray Comments(JsonObject ticket) => ticket["comments"]!.AsArray();

    [Fact]
    public async Task A_new_conversation_becomes_one_complete_ticket_and_later_replies_are_appended_once()
    {
        var admin = await ferry.PostAdminAsync("/admin/intercom/admins", new { name = "Bob Agent", email = "bob.agent@ferry.example" }, Ct);
        await ferry.PostAdminAsync("/admin/zendesk/users", new { name = "Bob Agent", email = "bob.agent@ferry.example", role = "agent" }, Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // the agent directory refreshes every second in this fixture
        var (contactId, conversationId) = await NewConversationAsync("ann.e2e@customer.example");
        await AddPartAsync(conversationId, "comment", "admin", admin["id"]!.GetValue<string>(), "<p>Looking into it</p>", notify: false);
        await AddPartAsync(conversationId, "note", "admin", admin["id"]!.GetValue<string>(), "<p>Internal: refund?</p>", notify: false);
        await AddPartAsync(conversationId, "assignment", "admin", admin["id"]!.GetValue<string>(), null, notify: false);
        await AddPartAsync(conversationId, "comment", "user", contactId, "<p>Thanks — ünïcödé ✓</p>");

        var tickets = await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1 && Comments(t[0]).Count == 4, SyncTimeout, Ct);
        var comments = Comments(tickets[0]);
        Assert.Equal(["<p>My invoice is wrong</p>", "<p>Looking into it</p>", "<p>Internal: refund?</p>", "<p>Thanks — ünïcödé ✓</p>"],
            comments.Select(c => c!["html_body"]!.GetValue<string>()));
        Assert.False(comments[2]!["public"]!.GetValue<bool>());
        var requester = tickets[0]["ticket"]!["requester_id"]!.GetValue<long>();
        Assert.Equal(requester, comments[0]!["author_id"]!.GetValue<long>());
        Assert.Equal(requester, comments[3]!["author_id"]!.GetValue<long>());
        Assert.NotEqual(requester, comments[1]!["author_id"]!.GetValue<long>());

        // Replies later: appended once each, in order, even when Intercom redelivers.
        await AddPartAsync(conversationId, "comment", "admin", admin["id"]!.GetValue<string>(), "<p>Refund issued</p>");
        await AddPartAsync(conversationId, "comment", "user", contactId, "<p>Great</p>");
        tickets = await ferry.WaitForTicketsAsync(conversationId, t => Comments(t[0]).Count == 6, SyncTimeout, Ct);
        await new V1.Sync.SyncClient(ferry.Gateway).RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        tickets = await ferry.TicketsForAsync(conversationId, Ct);
        Assert.Single(tickets);
        Assert.Equal(6, Comments(tickets[0]).Count);
        Assert.Equal("<p>Great</p>", Comments(tickets[0])[5]!["html_body"]!.GetValue<string>());

        var state = await new V1.Sync.SyncClient(ferry.Gateway).GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
        Assert.Equal(tickets[0]["ticket"]!["id"]!.GetValue<long>(), state.TicketId);
        Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);
    }

    [Fact]
    public async Task Twenty_concurrent_sync_requests_for_a_new_conversation_make_one_ticket()
    {
        var (_, conversationId) = await NewConversationAsync("race@customer.example");
        var sync = new V1.Sync.SyncClient(ferry.Gateway);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: Ct).ResponseAsync));

        await ferry.WaitForTicketsAsync(conversationId, t => t.Count >= 1, SyncTimeout, Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var tickets = await ferry.TicketsForAsync(conversationId, Ct);
        Assert.Single(tickets);
        Assert.Single(Comments(tickets[0]));
    }

    [Fact]
    public async Task A_lost_answer_after_Zendesk_created_the_ticket_is_retried_into_the_same_ticket()
    {
        // Zendesk's answer to the import is cut mid-body: the ticket exists, Ferry never learns its id.
        await ferry.SetFaultsAsync(new { scope = "zendesk", dropRate = 1.0, pathContains = "/imports/tickets" }, Ct);
        string conversationId;
        try
        {
            (_, conversationId) = await NewConversationAsync("crash@customer.example");
            await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        }
        finally
        {
            await ferry.SetFaultsAsync(new { }, Ct);
        }

        var sync = new V1.Sync.SyncClient(ferry.Gateway);
        await WaitForOutcomeAsync(sync, conversationId, Outcome.Success);
        var tickets = await ferry.TicketsForAsync(conversationId, Ct);
        Assert.Single(tickets);
        Assert.Single(Comments(tickets[0]));

        var attempts = await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct);
        Assert.Contains(attempts.Attempts, a => a.Outcome == Outcome.Failure);
    }

    [Fact]
    public async Task Under_5xx_and_429_storms_everything_is_eventually_synced_once_and_every_attempt_logged()
    {
        var conversations = new List<string>();
        await ferry.SetFaultsAsync(new { scope = "all", errorRate = 0.2, rateLimitRate = 0.1, retryAfterSeconds = 1 }, Ct);
        try
        {
            for (var i = 0; i < 5; i++)
            {
                conversations.Add((await NewConversationAsync($"storm{i}@customer.example")).ConversationId);
            }

            foreach (var id in conversations)
            {
                await ferry.WaitForTicketsAsync(id, t => t.Count >= 1, TimeSpan.FromMinutes(3), Ct);
            }
        }
        finally
        {
            await ferry.SetFaultsAsync(new { }, Ct);
        }

        var sync = new V1.Sync.SyncClient(ferry.Gateway);
        foreach (var id in conversations)
        {
            await WaitForOutcomeAsync(sync, id, Outcome.Success);
            var tickets = await ferry.TicketsForAsync(id, Ct);
            Assert.Single(tickets);
            Assert.Single(Comments(tickets[0]));
            var attempts = await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = id }, cancellationToken: Ct);
            Assert.NotEmpty(attempts.Attempts);
        }
    }

    [Fact]
    public async Task A_conversation_with_600_parts_syncs_the_500_reachable_and_says_so_on_the_ticket()
    {
        var admin = await ferry.PostAdminAsync("/admin/intercom/admins", new { name = "Long Thread", email = "long.thread@ferry.example" }, Ct);
        var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "long@customer.example", name = "Long" }, Ct);
        var conversation = await ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId = contact["id"]!.GetValue<string>(), body = "<p>Start</p>" }, Ct);
        var conversationId = conversation["id"]!.GetValue<string>();
        await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        for (var i = 1; i <= 600; i++)
        {
            await AddPartAsync(conversationId, "comment", "admin", admin["id"]!.GetValue<string>(), $"<p>Part {i}</p>", notify: i == 600);
        }

        // Opening message + a private note about the 100 unreachable parts + the 500 most recent parts.
        var tickets = await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1 && Comments(t[0]).Count == 502, TimeSpan.FromMinutes(3), Ct);
        var comments = Comments(tickets[0]);
        Assert.Equal("<p>Start</p>", comments[0]!["html_body"]!.GetValue<string>());
        Assert.Contains("only the 500 most recent. 100 older part(s) could not be copied", comments[1]!["html_body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(comments[1]!["public"]!.GetValue<bool>());
        // The admin has no Zendesk agent: each comment carries a byline naming the Intercom teammate.
        Assert.EndsWith("<p>Part 101</p>", comments[2]!["html_body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith("<p>Part 600</p>", comments[501]!["html_body"]!.GetValue<string>(), StringComparison.Ordinal);

        // The attempt is recorded when it ends, after its Zendesk writes (and, in dual mode, its read of the new
        // comments); later attempts (Ferry's own comments' webhooks) may follow it.
        var sync = new V1.Sync.SyncClient(ferry.Gateway);
        var deadline = DateTime.UtcNow + SyncTimeout;
        IReadOnlyList<string> reasons;
        while (!(reasons = [.. (await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId, PageSize = 50 }, cancellationToken: Ct)).Attempts.Select(a => a.Reason)])
                .Any(r => r.Contains("unreachable", StringComparison.Ordinal))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        Assert.Contains(reasons, r => r.Contains("100 oldest part(s) unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_attachment_whose_download_fails_twice_then_works_is_in_the_ticket_once()
    {
        // Two expired-URL answers (403) for the file: each attempt holds the part back and the job
        // retries with a fresh read of the conversation; the third download works.
        await ferry.SetFaultsAsync(new { scope = "intercom", failFirst = 2, errorStatus = 403, pathContains = "/intercom-attachments/" }, Ct);
        string conversationId;
        IReadOnlyList<JsonObject> tickets;
        try
        {
            var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "files.e2e@customer.example", name = "Fay Files" }, Ct);
            var conversation = await ferry.PostAdminAsync("/admin/intercom/conversations", new
            {
                contactId = contact["id"]!.GetValue<string>(),
                subject = "",
                body = "<p>Here is the invoice</p>",
                attachments = new[] { new { name = "invoice.pdf", contentType = "application/pdf", size = 20_000, seed = 14 } },
            }, Ct);
            conversationId = conversation["id"]!.GetValue<string>();
            tickets = await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        }
        finally
        {
            await ferry.SetFaultsAsync(new { }, Ct);
        }

        var comment = Assert.Single(Comments(tickets[0]))!;
        var file = Assert.Single(comment["attachments"]!.AsArray())!;
        Assert.Equal("invoice.pdf", file["file_name"]!.GetValue<string>());
        Assert.Equal(20_000, file["size"]!.GetValue<long>());
        var attempts = (await new V1.Sync.SyncClient(ferry.Gateway).ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct)).Attempts;
        Assert.Equal(2, attempts.Count(a => a.Outcome == Outcome.Failure && a.Reason.Contains("invoice.pdf", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task With_Redis_paused_a_new_conversation_still_becomes_a_ticket_without_waiting_for_it()
    {
        // CLIENT PAUSE holds every command of every client, the way a stalled Redis does: nothing errors,
        // everything waits. Redis is only an optimisation (dedup, pacing, locks), so nothing may wait on it.
        var connectionString = await ferry.App.GetConnectionStringAsync("redis", Ct);
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true"))
        {
            await redis.GetServer(redis.GetEndPoints()[0]).ExecuteAsync("CLIENT", "PAUSE", "30000", "ALL");
        }

        var (_, conversationId) = await NewConversationAsync("paused.redis@customer.example");
        var tickets = await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, TimeSpan.FromSeconds(25), Ct);

        Assert.Single(Comments(tickets[0]));
    }

    [Fact]
    public async Task A_conversation_a_teammate_deletes_in_Intercom_ends_its_sync_without_a_dead_job_and_its_ticket_stays()
    {
        var (_, conversationId) = await NewConversationAsync("spam@customer.example", "<p>Buy now</p>");
        await ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        var sync = new V1.Sync.SyncClient(ferry.Gateway);
        await WaitForOutcomeAsync(sync, conversationId, Outcome.Success);

        // Deleted in the inbox: Intercom sends conversation.deleted through the gateway.
        using (var deleted = await ferry.Sandbox.DeleteAsync(new Uri($"/admin/intercom/conversations/{conversationId}", UriKind.Relative), Ct))
        {
            deleted.EnsureSuccessStatusCode();
        }

        await WaitForOutcomeAsync(sync, conversationId, Outcome.Skipped);
        var state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
        Assert.StartsWith("Conversation deleted in Intercom (conversation.deleted)", state.LastAttempt.Reason, StringComparison.Ordinal);
        var dead = await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct);
        Assert.DoesNotContain(dead.Jobs, j => j.ConversationId == conversationId);
        var ticket = Assert.Single(await ferry.TicketsForAsync(conversationId, Ct));
        Assert.Equal("<p>Buy now</p>", Assert.Single(Comments(ticket))!["html_body"]!.GetValue<string>());
    }

    private static async Task WaitForOutcomeAsync(V1.Sync.SyncClient sync, string conversationId, Outcome outcome)
    {
        var deadline = DateTime.UtcNow + SyncTimeout;
        while (true)
        {
            var state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
            if (state.LastAttempt?.Outcome == outcome && state.JobState == JobState.Done)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Conversation {conversationId} never reached {outcome}: {state}");
            await Task.Delay(250, Ct);
        }
    }
}
