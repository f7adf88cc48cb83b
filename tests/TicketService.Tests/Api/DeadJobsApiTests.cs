using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.TicketService.Tests.Api;

/// <summary>What `ferry attempts --dead` and `ferry retry --dead` call: dead jobs with their reason, and re-running them.</summary>
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

    [Theory]
    [InlineData(-1)]
    [InlineData(501)]
    public async Task A_page_size_out_of_range_is_invalid(int pageSize)
    {
        var sync = Sync();
        var error = await Assert.ThrowsAsync<RpcException>(() => sync.ListDeadJobsAsync(new ListDeadJobsRequest { PageSize = pageSize }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private async Task DeadJobAsync(string conversationId, string reason)
    {
        // Written dead directly: a queued job would wake the host's worker.
        await using var command = Db.CreateCommand("""
            INSERT INTO sync.jobs (conversation_id, trigger, state, attempt, last_error, dead_at)
            VALUES (@conversation_id, 'webhook', 'dead', 3, @reason, now())
            """);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        await command.ExecuteNonQueryAsync(Ct);
        await Task.Delay(20, Ct); // distinct dead_at, newest first
    }
}
