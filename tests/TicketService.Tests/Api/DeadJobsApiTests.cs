using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.TicketService.Tests.Api;

/// <summary>
/// What `ferry attempts --dead`, `ferry retry --dead` and `ferry dismiss` call: dead jobs with their reason, re-running
/// them, and taking them off the list when nothing is to be done.
/// </summary>
public sealed class DeadJobsApiTests(PostgresServer postgres, RedisServer redis) : SyncApiTest(postgres, redis, "dead")
{
    [Fact]
    public async Task Dead_jobs_are_listed_with_their_reason_and_retrying_them_queues_each_conversation_again()
    {
        await DeadJobAsync("501", "Zendesk import ticket failed with 422 UnprocessableEntity: Requester is suspended");
        await DeadJobAsync("502", "Conversation not found in Intercom (deleted, or another workspace)");
        var sync = Sync();

        var dead = await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct);

        Assert.Equal(["502", "501"], dead.Jobs.Select(j => j.ConversationId));
        Assert.Equal("Zendesk import ticket failed with 422 UnprocessableEntity: Requester is suspended", dead.Jobs[1].Reason);
        Assert.All(dead.Jobs, j => Assert.NotNull(j.DiedAt));

        var retried = await sync.RetryAsync(new RetryRequest { AllDead = true }, cancellationToken: Ct);

        Assert.Equal(2, retried.Requeued);
        Assert.Empty((await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct)).Jobs);
        var state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = "501" }, cancellationToken: Ct);
        Assert.Contains(state.JobState, new[] { V1.JobState.Pending, V1.JobState.Running });
    }

    [Fact]
    public async Task Retrying_by_reason_queues_only_the_dead_jobs_that_died_for_exactly_that_reason()
    {
        const string Suspended = "Zendesk import ticket failed with 422 UnprocessableEntity: Requester is suspended";
        await DeadJobAsync("601", Suspended);
        await DeadJobAsync("602", Suspended + " (twice)");
        await DeadJobAsync("603", Suspended);
        var sync = Sync();

        var retried = await sync.RetryAsync(new RetryRequest { DeadReason = Suspended }, cancellationToken: Ct);

        Assert.Equal(2, retried.Requeued);
        var stillDead = await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct);
        Assert.Equal(["602"], stillDead.Jobs.Select(j => j.ConversationId).Where(id => id.StartsWith("60", StringComparison.Ordinal)));
        Assert.Equal(0, (await sync.RetryAsync(new RetryRequest { DeadReason = "no job died like this" }, cancellationToken: Ct)).Requeued);
        var blank = await Assert.ThrowsAsync<RpcException>(() => sync.RetryAsync(new RetryRequest { DeadReason = " " }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, blank.StatusCode);
    }

    [Fact]
    public async Task A_dismissed_dead_job_leaves_the_list_the_gauge_and_retry_all_and_keeps_who_and_why()
    {
        await DeadJobAsync("701", "Zendesk ticket 9 no longer exists (deleted in Zendesk?).");
        await DeadJobAsync("702", "Conversation not found in Intercom (deleted, or another workspace)");
        var sync = Sync();
        var job = (await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct)).Jobs.Single(j => j.ConversationId == "701");

        var dismissed = await sync.DismissAsync(new DismissRequest { JobId = job.JobId, Note = " Spam: deleted on purpose " }, cancellationToken: Ct);

        Assert.Equal(1, dismissed.Dismissed);
        Assert.DoesNotContain("701", (await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct)).Jobs.Select(j => j.ConversationId));
        Assert.Equal(1, (await sync.GetStatusAsync(new GetStatusRequest(), cancellationToken: Ct)).DeadJobsTotal);
        var kept = Assert.Single((await sync.ListDeadJobsAsync(new ListDeadJobsRequest { Dismissed = true }, cancellationToken: Ct)).Jobs);
        Assert.Equal((job.JobId, "Zendesk ticket 9 no longer exists (deleted in Zendesk?).", "internal", "Spam: deleted on purpose"),
            (kept.JobId, kept.Reason, kept.DismissedBy, kept.DismissalNote));
        Assert.NotNull(kept.DismissedAt);
        Assert.Equal("internal: Spam: deleted on purpose", (await sync.GetSyncAsync(new GetSyncRequest { ConversationId = "701" }, cancellationToken: Ct)).Dismissed);

        // Retrying every dead job leaves it alone; retried by name it runs again (the operator changed their mind).
        Assert.Equal(1, (await sync.RetryAsync(new RetryRequest { AllDead = true }, cancellationToken: Ct)).Requeued);
        var again = await sync.RetryAsync(new RetryRequest { ConversationId = "701" }, cancellationToken: Ct);
        Assert.NotEqual(job.JobId, again.JobId);
        Assert.Empty((await sync.ListDeadJobsAsync(new ListDeadJobsRequest { Dismissed = true }, cancellationToken: Ct)).Jobs);
    }

    [Fact]
    public async Task Dismissing_by_conversation_or_reason_takes_only_the_dead_jobs_that_wait()
    {
        const string Gone = "Conversation not found in Intercom (deleted, or another workspace)";
        await DeadJobAsync("801", Gone);
        await DeadJobAsync("802", Gone);
        await DeadJobAsync("803", Gone + " (twice)");
        await DeadJobAsync("804", "Timed out");
        var sync = Sync();

        Assert.Equal(1, (await sync.DismissAsync(new DismissRequest { ConversationId = "804", Note = "known" }, cancellationToken: Ct)).Dismissed);
        Assert.Equal(2, (await sync.DismissAsync(new DismissRequest { DeadReason = Gone, Note = "another workspace" }, cancellationToken: Ct)).Dismissed);
        Assert.Equal(0, (await sync.DismissAsync(new DismissRequest { DeadReason = Gone, Note = "again" }, cancellationToken: Ct)).Dismissed);

        Assert.Equal(["803"], (await sync.ListDeadJobsAsync(new ListDeadJobsRequest(), cancellationToken: Ct)).Jobs.Select(j => j.ConversationId).Where(id => id.StartsWith("80", StringComparison.Ordinal)));
        Assert.Equal(["802", "801", "804"], (await sync.ListDeadJobsAsync(new ListDeadJobsRequest { Dismissed = true }, cancellationToken: Ct)).Jobs.Select(j => j.ConversationId));
    }

    [Fact]
    public async Task The_reconciler_revives_transient_deaths_once_syncs_succeed_again_but_not_a_dismissed_one()
    {
        // Both died of the retry window two days ago; a sync has succeeded since: the vendors answer again.
        await DeadJobAsync("1001", "Timed out", death: "window", diedDaysAgo: 2);
        var dismissedJob = await DeadJobAsync("1002", "Timed out", death: "window", diedDaysAgo: 2);
        await using (var success = Db.CreateCommand("INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, started_at) VALUES (@job, 1, '1002', 'webhook', 'success', now())"))
        {
            success.Parameters.AddWithValue("job", dismissedJob);
            await success.ExecuteNonQueryAsync(Ct);
        }

        await Sync().DismissAsync(new DismissRequest { JobId = dismissedJob, Note = "known outage, handled by hand" }, cancellationToken: Ct);

        var cleared = await new Data.ReconcileStore(Db, TimeProvider.System).ClearedDeadJobsAsync(TimeSpan.FromDays(1), limit: 10, Ct);
        Assert.Equal(["1001"], cleared.Select(j => j.ConversationId));
    }

    [Fact]
    public async Task Dismissing_needs_a_note_and_a_dead_job_that_waits()
    {
        await DeadJobAsync("901", "Timed out");
        var sync = Sync();

        var noNote = await Assert.ThrowsAsync<RpcException>(() => sync.DismissAsync(new DismissRequest { ConversationId = "901", Note = "  " }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noNote.StatusCode);
        Assert.Contains("note is required", noNote.Status.Detail, StringComparison.Ordinal);
        var noTarget = await Assert.ThrowsAsync<RpcException>(() => sync.DismissAsync(new DismissRequest { Note = "why" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noTarget.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => sync.DismissAsync(new DismissRequest { ConversationId = "999999", Note = "why" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "Ferry has no job for conversation '999999'."), (unknown.StatusCode, unknown.Status.Detail));

        await sync.DismissAsync(new DismissRequest { ConversationId = "901", Note = "why" }, cancellationToken: Ct);
        var twice = await Assert.ThrowsAsync<RpcException>(() => sync.DismissAsync(new DismissRequest { ConversationId = "901", Note = "why" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, twice.StatusCode);
        Assert.StartsWith("Nothing to dismiss: job ", twice.Status.Detail, StringComparison.Ordinal);
        Assert.EndsWith(" was dismissed already, by internal. Only a dead job that waits for an operator can be dismissed.", twice.Status.Detail, StringComparison.Ordinal);

        // A job that is not dead: retried, the conversation has a pending job now.
        await sync.RetryAsync(new RetryRequest { ConversationId = "901" }, cancellationToken: Ct);
        var alive = await Assert.ThrowsAsync<RpcException>(() => sync.DismissAsync(new DismissRequest { ConversationId = "901", Note = "why" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, alive.StatusCode);
        Assert.Matches("^Nothing to dismiss: job [0-9]+ is (pending|running|done), not dead\\.", alive.Status.Detail);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(501)]
    public async Task A_page_size_out_of_range_is_invalid(int pageSize)
    {
        var sync = Sync();
        var error = await Assert.ThrowsAsync<RpcException>(() => sync.ListDeadJobsAsync(new ListDeadJobsRequest { PageSize = pageSize }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private async Task<long> DeadJobAsync(string conversationId, string reason, string death = "permanent", int diedDaysAgo = 0)
    {
        // Written dead directly: a queued job would wake the host's worker.
        await using var command = Db.CreateCommand("""
            INSERT INTO sync.jobs (conversation_id, trigger, state, attempt, last_error, death, dead_at)
            VALUES (@conversation_id, 'webhook', 'dead', 3, @reason, @death, now() - make_interval(days => @days))
            RETURNING job_id
            """);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("death", death);
        command.Parameters.AddWithValue("days", diedDaysAgo);
        var jobId = (long)(await command.ExecuteScalarAsync(Ct))!;
        await Task.Delay(20, Ct); // distinct dead_at, newest first
        return jobId;
    }
}
