using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Reconcile;

/// <summary>
/// The reconciler through the Sync API of the real TicketService with the sandbox: no webhook reaches
/// these services (no gateway), so whatever the reconciler does not find stays unsynced.
/// </summary>
public sealed class ReconcilerTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "reconcile", Settings)
{
    private static Dictionary<string, string?> Settings => new()
    {
        // Passes run on demand only: the test decides when.
        ["Reconcile:Interval"] = "00:00:00",
        ["Rules:Exclude:0:Name"] = "no-spam",
        ["Rules:Exclude:0:TagsAny:0"] = "spam",
    };

    [Fact]
    public async Task Conversations_whose_webhooks_never_came_get_tickets_unless_the_rules_keep_them_out()
    {
        var first = Stack.NewConversation("Printer on fire");
        var second = Stack.NewConversation("Invoice question");
        var spam = Stack.NewConversation("Cheap watches");
        Sandbox.Intercom.AddTag(spam, Sandbox.Intercom.Tag("spam"));

        var plan = await Stack.Sync.ReconcileAsync(new ReconcileRequest { DryRun = true }, cancellationToken: Ct);
        Assert.True(plan.DryRun);
        Assert.Equal([(first, "missing-ticket", 0L), (second, "missing-ticket", 0L)],
            plan.Findings.Select(f => (f.ConversationId, f.Kind, f.JobId)).OrderBy(f => f.ConversationId, StringComparer.Ordinal));
        Assert.Equal(3, plan.ConversationsChecked);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM sync.jobs"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM sync.attempts"));

        var pass = await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct);
        Assert.Equal([first, second], pass.Findings.Select(f => f.ConversationId).Order(StringComparer.Ordinal));
        Assert.All(pass.Findings, f => Assert.True(f.JobId > 0));
        Assert.True(pass.VendorCalls >= 1);
        Assert.NotNull(pass.Watermark);

        foreach (var conversationId in new[] { first, second })
        {
            var synced = await Stack.WaitForAttemptAsync(conversationId, Ct);
            Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
            Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversationId}"));
            var log = await Stack.Sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct);
            var finding = Assert.Single(log.Attempts, a => a.Outcome == Outcome.Finding);
            Assert.Equal(Trigger.Reconcile, finding.Trigger);
            Assert.StartsWith("missing-ticket: ", finding.Reason, StringComparison.Ordinal);
        }

        Assert.Empty(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{spam}"));
        var again = await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct);
        Assert.Empty(again.Findings);
    }

    [Fact]
    public async Task A_reply_and_a_close_without_webhooks_are_found_and_reach_the_ticket()
    {
        var conversationId = Stack.NewConversation("Login broken");
        var created = await SyncNowAsync(conversationId);

        Stack.ReplyFromCustomer(conversationId, "<p>Still broken</p>");
        var pass = await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct);
        var finding = Assert.Single(pass.Findings);
        Assert.Equal(("missing-parts", conversationId, created.TicketId), (finding.Kind, finding.ConversationId, finding.TicketId));
        var appended = await Stack.WaitForAttemptAsync(conversationId, Ct, after: created.LastAttempt.AttemptId);
        Assert.Equal(Outcome.Success, appended.LastAttempt.Outcome);
        Assert.Equal(2, Sandbox.Zendesk.Ticket(created.TicketId)!.Comments.Count);

        var admin = Sandbox.Intercom.AddAdmin("Ada Admin", $"ada-{Guid.NewGuid():N}@sandbox.example");
        Sandbox.Intercom.AddPart(conversationId, "close", IntercomState.AuthorFor(admin), null);
        var close = Assert.Single((await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct)).Findings);
        Assert.Equal("missing-parts", close.Kind);
        await Stack.WaitForAttemptAsync(conversationId, Ct, after: appended.LastAttempt.AttemptId);
        Assert.Equal("solved", Sandbox.Zendesk.Ticket(created.TicketId)!.Status);

        Assert.Empty((await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct)).Findings);
    }

    [Fact]
    public async Task The_deep_pass_finds_a_status_changed_in_Zendesk_and_comments_gone_from_the_ticket()
    {
        var conversationId = Stack.NewConversation("Refund");
        var created = await SyncNowAsync(conversationId);
        Stack.ReplyFromCustomer(conversationId, "<p>Any update?</p>");
        var appended = await SyncNowAsync(conversationId, after: created.LastAttempt.AttemptId);
        var ticket = Sandbox.Zendesk.Ticket(created.TicketId)!;
        Assert.Equal(2, ticket.Comments.Count);

        // An agent's change whose webhook never came: only the deep pass reads the ticket back.
        var inStep = ticket.Status;
        Sandbox.Zendesk.ForceStatus(created.TicketId, "pending");
        Assert.Empty((await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct)).Findings);
        var deep = await Stack.Sync.ReconcileAsync(new ReconcileRequest { Deep = true }, cancellationToken: Ct);
        var drift = Assert.Single(deep.Findings);
        Assert.Equal(("status-drift", $"ticket is pending in Zendesk, last in step as {inStep}"), (drift.Kind, drift.Detail));
        var weighed = await Stack.WaitForAttemptAsync(conversationId, Ct, after: appended.LastAttempt.AttemptId);

        // A comment the ledger says is in the ticket is gone: the ledger forgets it and the sync writes it again.
        lock (Sandbox.Zendesk.Gate)
        {
            ticket.Comments.RemoveAt(1);
        }

        var repair = await Stack.Sync.ReconcileAsync(new ReconcileRequest { Deep = true }, cancellationToken: Ct);
        var missing = Assert.Single(repair.Findings);
        Assert.Equal("missing-comments", missing.Kind);
        await Stack.WaitForAttemptAsync(conversationId, Ct, after: weighed.LastAttempt.AttemptId);
        Assert.Equal(2, ticket.Comments.Count);
        Assert.Contains("Any update?", ticket.Comments[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_replicas_reconciling_at_once_queue_each_finding_once()
    {
        var conversations = Enumerable.Range(0, 5).Select(i => Stack.NewConversation($"Question {i}")).ToList();
        var other = new V1.Sync.SyncClient(Stack.AddReplica().CreateGrpcChannel());

        var passes = await Task.WhenAll(
            Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct).ResponseAsync,
            other.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(conversations.Order(StringComparer.Ordinal), passes.SelectMany(p => p.Findings).Select(f => f.ConversationId).Order(StringComparer.Ordinal));
        Assert.Equal(5, await CountAsync("SELECT count(*) FROM sync.attempts WHERE outcome = 'finding'"));
        Assert.Equal(5, await CountAsync("SELECT count(DISTINCT conversation_id) FROM sync.jobs"));
    }

    [Fact]
    public async Task A_paused_Ferry_claims_nothing_until_resumed()
    {
        var conversationId = Stack.NewConversation("Paused");
        await Stack.Sync.SetPausedAsync(new SetPausedRequest { Paused = true, Reason = "Zendesk maintenance" }, cancellationToken: Ct);
        var job = await Stack.Sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);

        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(JobState.Pending, (await Stack.Sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct)).JobState);

        await Stack.Sync.SetPausedAsync(new SetPausedRequest { Paused = false }, cancellationToken: Ct);
        var synced = await Stack.WaitForAttemptAsync(conversationId, Ct);
        Assert.Equal((Outcome.Success, job.JobId), (synced.LastAttempt.Outcome, synced.JobId));
    }

    private async Task<SyncState> SyncNowAsync(string conversationId, long after = 0)
    {
        await Stack.Sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
        var state = await Stack.WaitForAttemptAsync(conversationId, Ct, after);
        Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);
        return state;
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(Stack.TicketsConnectionString);
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
