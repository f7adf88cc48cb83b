using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;
using Npgsql;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>
/// What was synced, deleted on either side (docs/SYNC.md, "Defined behaviours"): Ferry recreates nothing behind
/// anyone's back and deletes nothing. The conversation's job is dead at once with the reason, for `ferry attempts --dead`,
/// unless Intercom itself announced a deliberate deletion and nothing from Zendesk waits for the conversation.
/// </summary>
public sealed class DeletionTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "deletion", Settings)
{
    private static Dictionary<string, string?> Settings => new()
    {
        ["Reconcile:Interval"] = "00:00:00",
    };

    [Fact]
    public async Task A_change_to_a_conversation_whose_ticket_was_deleted_kills_its_job_at_once_and_makes_no_ticket()
    {
        var conversationId = Stack.NewConversation("Delete me");
        var created = await Stack.RequestAndWaitAsync(conversationId, 0, Ct);
        await DeleteInZendeskAsync(created.TicketId);

        // A close: only the status step touches the ticket.
        var admin = Sandbox.Intercom.AddAdmin("Ada Admin", $"ada-{Guid.NewGuid():N}@sandbox.example");
        Sandbox.Intercom.AddPart(conversationId, "close", IntercomState.AuthorFor(admin), null);
        var closed = await RequestAndWaitForDeathAsync(conversationId, created.LastAttempt.AttemptId);
        Assert.Equal($"Zendesk ticket {created.TicketId} no longer exists (deleted in Zendesk?).", closed.LastAttempt.Reason);

        // A reply: the append is refused the same way.
        Stack.ReplyFromCustomer(conversationId, "<p>Hello?</p>");
        var replied = await RequestAndWaitForDeathAsync(conversationId, closed.LastAttempt.AttemptId);
        Assert.Contains("404", replied.LastAttempt.Reason, StringComparison.Ordinal);

        Assert.Empty(Sandbox.Zendesk.Tickets());
        var log = await Stack.Sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct);
        var failures = log.Attempts.Where(a => a.Outcome == Outcome.Failure).ToList();
        Assert.Equal(2, failures.Count);
        // The log names the ticket a failed attempt was about (the conversation's link), as `ferry attempts` shows it.
        Assert.All(failures, a => Assert.Equal(created.TicketId, a.TicketId));
    }

    [Fact]
    public async Task The_deep_pass_reports_a_deleted_ticket_once()
    {
        var conversationId = Stack.NewConversation("Deleted quietly");
        var created = await Stack.RequestAndWaitAsync(conversationId, 0, Ct);
        await DeleteInZendeskAsync(created.TicketId);

        // No webhook and no change in Intercom: only the deep pass reads the ticket back.
        Assert.Empty((await Stack.Sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: Ct)).Findings);
        var deep = await Stack.Sync.ReconcileAsync(new ReconcileRequest { Deep = true }, cancellationToken: Ct);
        var finding = Assert.Single(deep.Findings);
        Assert.Equal(("ticket-deleted", conversationId, created.TicketId), (finding.Kind, finding.ConversationId, finding.TicketId));
        var dead = await WaitForDeathAsync(conversationId, created.LastAttempt.AttemptId);
        Assert.Equal($"Zendesk ticket {created.TicketId} no longer exists (deleted in Zendesk?).", dead.LastAttempt.Reason);

        // Known now (a dead job): the next deep passes leave it to the operator.
        Assert.Empty((await Stack.Sync.ReconcileAsync(new ReconcileRequest { Deep = true }, cancellationToken: Ct)).Findings);
        Assert.Empty(Sandbox.Zendesk.Tickets());

        // Restored in Zendesk, and retried: the conversation carries on in its ticket.
        using var zendesk = Sandbox.CreateZendeskClient();
        (await zendesk.PutAsync($"api/v2/deleted_tickets/{created.TicketId}/restore", null, Ct)).EnsureSuccessStatusCode();
        await Stack.Sync.RetryAsync(new RetryRequest { ConversationId = conversationId }, cancellationToken: Ct);
        var retried = await Stack.WaitForAttemptAsync(conversationId, Ct, after: dead.LastAttempt.AttemptId);
        Assert.Equal((Outcome.Success, created.TicketId), (retried.LastAttempt.Outcome, retried.TicketId));
    }

    [Fact]
    public async Task A_conversation_deleted_in_Intercom_ends_its_jobs_without_an_alarm_and_its_ticket_keeps_its_history()
    {
        var conversationId = Stack.NewConversation("Deleted in Intercom");
        var created = await Stack.RequestAndWaitAsync(conversationId, 0, Ct);
        using (var intercom = Sandbox.CreateIntercomClient())
        {
            var deleted = await intercom.DeleteAsync($"conversations/{conversationId}", Ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, deleted.StatusCode);
        }

        // Asked for by hand: refused with the reason, nothing queued.
        var refused = await Assert.ThrowsAsync<RpcException>(() => Stack.Sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
        Assert.Contains(conversationId, refused.Status.Detail, StringComparison.Ordinal);

        // Intercom's own conversation.deleted: a teammate deleted it on purpose (spam, a duplicate), so the job ends
        // skipped with the reason, and no dead job calls an operator for it. The ticket is left as it is.
        await Stack.HandOverIntercomAsync(conversationId, "conversation.deleted", Ct);
        var ended = await Stack.WaitForAttemptAsync(conversationId, Ct, after: created.LastAttempt.AttemptId);
        Assert.Equal((Outcome.Skipped, JobState.Done), (ended.LastAttempt.Outcome, ended.JobState));
        Assert.Equal(Deleted, ended.LastAttempt.Reason);
        var ticket = Sandbox.Zendesk.Ticket(created.TicketId)!;
        Assert.Equal(("Deleted in Intercom", 1), (ticket.Subject, ticket.Comments.Count));

        // Agents tidying up the ticket afterwards (a solve, a comment) need no operator either: with replies not carried
        // to Intercom (one-way, the default) nothing of theirs was ever meant for the conversation.
        var solved = await HandOverAndWaitAsync(ended, () => Stack.HandOverZendeskAsync(created.TicketId, conversationId, "solved", Ct));
        var commented = await HandOverAndWaitAsync(solved, () => Stack.HandOverZendeskAsync(created.TicketId, conversationId, "solved", Ct, commentId: 99));
        Assert.All(new[] { solved, commented }, s => Assert.Equal((Outcome.Skipped, Deleted), (s.LastAttempt.Outcome, s.LastAttempt.Reason)));
        Assert.Empty((await Stack.Sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct)).Jobs);
    }

    [Fact]
    public async Task A_deletion_Intercom_announced_is_remembered_after_retention_purged_its_delivery()
    {
        var conversationId = Stack.NewConversation("Deleted long ago");
        var created = await Stack.RequestAndWaitAsync(conversationId, 0, Ct);
        using (var intercom = Sandbox.CreateIntercomClient())
        {
            (await intercom.DeleteAsync($"conversations/{conversationId}", Ct)).EnsureSuccessStatusCode();
        }

        await Stack.HandOverIntercomAsync(conversationId, "conversation.deleted", Ct);
        var ended = await Stack.WaitForAttemptAsync(conversationId, Ct, after: created.LastAttempt.AttemptId);
        Assert.Equal(Deleted, ended.LastAttempt.Reason);

        // Retention:DeliveryIds (30 days) later the conversation's deliveries are gone, conversation.deleted with them;
        // then an agent solves the old ticket.
        await using (var connection = new NpgsqlConnection(Stack.TicketsConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var purge = new NpgsqlCommand("DELETE FROM sync.inbox WHERE conversation_id = @c", connection);
            purge.Parameters.AddWithValue("c", conversationId);
            Assert.True(await purge.ExecuteNonQueryAsync(Ct) > 0);
        }

        Assert.Null(Sandbox.Zendesk.UpdateTicket(created.TicketId, new System.Text.Json.Nodes.JsonObject { ["status"] = "solved" }).Error);
        var solved = await HandOverAndWaitAsync(ended, () => Stack.HandOverZendeskAsync(created.TicketId, conversationId, "solved", Ct));
        Assert.Equal((Outcome.Skipped, Deleted), (solved.LastAttempt.Outcome, solved.LastAttempt.Reason));
        Assert.Empty((await Stack.Sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct)).Jobs);

        // The reconciler's deep pass leaves the ticket alone too: its status drifted from the last one in step, but no
        // sync can ever bring the two in step again, so finding it would only queue a skipped job every pass.
        Assert.Empty((await Stack.Sync.ReconcileAsync(new ReconcileRequest { Deep = true }, cancellationToken: Ct)).Findings);
    }

    [Fact]
    public async Task A_conversation_gone_from_Intercom_without_its_deletion_announced_kills_its_job_at_once()
    {
        var conversationId = Stack.NewConversation("Gone quietly");
        var created = await Stack.RequestAndWaitAsync(conversationId, 0, Ct);
        Sandbox.Intercom.AddPart(conversationId, "comment", IntercomState.AuthorFor(Sandbox.Intercom.AddAdmin("Ada Admin", $"ada-{Guid.NewGuid():N}@sandbox.example")), "<p>On its way</p>");
        using (var intercom = Sandbox.CreateIntercomClient())
        {
            (await intercom.DeleteAsync($"conversations/{conversationId}", Ct)).EnsureSuccessStatusCode();
        }

        // A reply's webhook that arrives after the conversation is gone, its conversation.deleted lost: nothing says the
        // deletion was deliberate, so the operator hears of it.
        await Stack.HandOverIntercomAsync(conversationId, "conversation.admin.replied", Ct);
        var dead = await WaitForDeathAsync(conversationId, created.LastAttempt.AttemptId);
        Assert.Equal("Conversation not found in Intercom (deleted, or another workspace); its ticket, if any, keeps its history.", dead.LastAttempt.Reason);
    }

    private const string Deleted = "Conversation deleted in Intercom (conversation.deleted): nothing to sync; its ticket, if any, keeps its history.";

    private async Task<SyncState> HandOverAndWaitAsync(SyncState before, Func<Task> handOver)
    {
        await handOver();
        return await Stack.WaitForAttemptAsync(before.ConversationId, Ct, after: before.LastAttempt.AttemptId);
    }

    /// <summary>What an agent's delete does: through Zendesk's API, so the ticket is gone from every read Ferry makes.</summary>
    private async Task DeleteInZendeskAsync(long ticketId)
    {
        using var zendesk = Sandbox.CreateZendeskClient();
        var deleted = await zendesk.DeleteAsync($"api/v2/tickets/{ticketId}", Ct);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await zendesk.GetAsync($"api/v2/tickets/{ticketId}", Ct)).StatusCode);
    }

    private async Task<SyncState> RequestAndWaitForDeathAsync(string conversationId, long after)
    {
        await Stack.Sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
        return await WaitForDeathAsync(conversationId, after);
    }

    /// <summary>The first failed attempt after <paramref name="after"/>; its job must be dead by then (no retry for a deleted ticket).</summary>
    private async Task<SyncState> WaitForDeathAsync(string conversationId, long after)
    {
        var failed = await Stack.WaitForFailureAsync(conversationId, after, Ct);
        Assert.Equal(JobState.Dead, failed.JobState);
        return failed;
    }
}
