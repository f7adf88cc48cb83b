using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Api;

/// <summary>GetStatus, what the operator's status page shows: every figure read from the real schema.</summary>
public sealed class StatusApiTests(PostgresServer postgres, RedisServer redis) : SyncApiTest(postgres, redis, "status")
{
    [Fact]
    public async Task An_empty_service_reports_zeros_and_an_hour_of_empty_minutes()
    {
        var status = await Sync().GetStatusAsync(new GetStatusRequest(), cancellationToken: Ct);

        Assert.False(status.Paused);
        Assert.Equal(60, status.SyncsPerMinute.Count);
        Assert.Equal(60, status.FailuresPerMinute.Count);
        Assert.Equal(0, status.DeadJobsTotal);
        Assert.Null(status.LastReconcileAt);
        Assert.Equal(["intercom", "zendesk"], status.Vendors.Select(v => v.Vendor));
    }

    [Fact]
    public async Task Status_reports_pause_queue_lag_throughput_failures_dead_jobs_findings_and_last_deliveries()
    {
        await ExecuteAsync("""
            UPDATE sync.control SET paused = true, paused_reason = 'Zendesk maintenance';
            UPDATE sync.reconciler SET last_run_at = now() - interval '3 minutes' WHERE pass = 'scan';
            INSERT INTO sync.inbox (source, delivery_id, topic, received_at) VALUES ('intercom', 'n1', 'conversation.user.replied', now() - interval '5 minutes');
            INSERT INTO sync.jobs (conversation_id, trigger, state, first_event_at) VALUES ('s1', 'webhook', 'done', now() - interval '10 seconds');
            INSERT INTO sync.jobs (conversation_id, trigger, state, first_event_at) VALUES ('s2', 'webhook', 'done', now() - interval '30 seconds');
            INSERT INTO sync.jobs (conversation_id, trigger, state, attempt, last_error, dead_at) VALUES ('d1', 'webhook', 'dead', 1, 'Zendesk import ticket failed with 422: <script>bad</script>', now());
            INSERT INTO sync.jobs (conversation_id, trigger, state, run_after, created_at) VALUES ('p1', 'webhook', 'pending', now() + interval '1 hour', now() - interval '2 minutes');
            INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, started_at)
                SELECT job_id, 1, conversation_id, 'webhook', 'success', now() FROM sync.jobs WHERE state = 'done';
            INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, reason, started_at)
                SELECT job_id, 1, conversation_id, 'webhook', 'failure', last_error, now() FROM sync.jobs WHERE state = 'dead';
            INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, reason, started_at)
                SELECT job_id, 0, conversation_id, 'reconcile', 'finding', 'missing-ticket: no ticket after 30 min', now() FROM sync.jobs WHERE conversation_id = 'p1';
            """);

        var status = await Sync().GetStatusAsync(new GetStatusRequest(), cancellationToken: Ct);

        Assert.True(status.Paused);
        Assert.Equal("Zendesk maintenance", status.PausedReason);
        Assert.Equal(1, status.QueueDepth);
        Assert.InRange(status.OldestJobAgeSeconds, 110, 200);
        Assert.InRange(status.LagP50Seconds, 19, 22);
        Assert.InRange(status.LagP95Seconds, 28, 32);
        Assert.Equal(2, status.SyncsPerMinute[^1] + status.SyncsPerMinute[^2]);
        Assert.Equal(1, status.FailuresPerMinute.Sum());
        Assert.Equal("d1", Assert.Single(status.LatestFailures).ConversationId);
        Assert.Equal(1, status.DeadJobsTotal);
        Assert.Equal("Zendesk import ticket failed with 422: <script>bad</script>", Assert.Single(status.DeadJobs).Reason);
        var finding = Assert.Single(status.LatestFindings);
        Assert.Equal(("missing-ticket", "no ticket after 30 min", "p1"), (finding.Kind, finding.Detail, finding.ConversationId));
        Assert.InRange(status.LastReconcileAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-4), DateTimeOffset.UtcNow.AddMinutes(-2));
        Assert.InRange(status.LastIntercomWebhookAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-6), DateTimeOffset.UtcNow.AddMinutes(-4));
        Assert.Null(status.LastZendeskWebhookAt);
        Assert.All(status.Vendors, v => Assert.True(v.BudgetPerMinute > 0));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
