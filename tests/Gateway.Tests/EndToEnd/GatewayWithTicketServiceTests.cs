using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Webhooks;
using Ferry.ServiceDefaults.Grpc;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;
using Npgsql;
using StackExchange.Redis;

namespace Ferry.Gateway.Tests.EndToEnd;

/// <summary>
/// The gateway in front of the real TicketService (own process, real Postgres and Redis): webhooks are
/// acknowledged only once queued, survive a TicketService outage, dedup, carry the trace, and the Sync
/// API answers through the gateway's YARP route.
/// </summary>
public sealed class GatewayWithTicketServiceTests(RedisServer redis, PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Metadata Key => new() { { "x-api-key", GatewayHost.OtherApiKey } };

    [Fact]
    public async Task TicketService_down_answers_503_and_the_retried_delivery_is_queued_once_it_is_back()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        var ticketsPort = GatewayHost.FreePort();
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, new Uri($"http://127.0.0.1:{ticketsPort}"));
        var deliveryId = "notif_outage_" + Guid.NewGuid().ToString("N");
        var conversationId = Random.Shared.NextInt64(1_000_000, 9_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = Deliveries.IntercomJson(deliveryId, "conversation.user.replied", conversationId);

        using (var down = await gateway.Http.SendAsync(Deliveries.SignedIntercom(json), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.True(down.Headers.Contains("Retry-After"));
        }

        await using var tickets = await TicketServiceProcess.StartAsync(ticketsPort, database, redis.ConnectionString);

        // The vendor's retry of the same delivery.
        WebhookAck? ack;
        using (var back = await gateway.Http.SendAsync(Deliveries.SignedIntercom(json), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
            ack = await back.Content.ReadFromJsonAsync<WebhookAck>(Ct);
        }

        Assert.Equal("queued", ack!.Status);
        Assert.True(ack.JobId > 0);

        // Nothing lost: the Sync API (through the gateway) knows the job.
        using var channel = gateway.GrpcChannel();
        var state = await new Sync.SyncClient(channel).GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, Key, cancellationToken: Ct);
        Assert.Equal(ack.JobId, state.JobId);
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM sync.inbox WHERE delivery_id = @id", deliveryId));
    }

    [Fact]
    public async Task Duplicate_deliveries_queue_one_job_whether_Redis_or_the_inbox_catches_them()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        var ticketsPort = GatewayHost.FreePort();
        await using var tickets = await TicketServiceProcess.StartAsync(ticketsPort, database, redis.ConnectionString);
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, tickets.GrpcAddress!);
        var deliveryId = "notif_dup_" + Guid.NewGuid().ToString("N");
        var json = Deliveries.IntercomJson(deliveryId, "conversation.admin.closed", "777" + Random.Shared.Next(100_000, 999_999));

        var statuses = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await gateway.Http.SendAsync(Deliveries.SignedIntercom(json), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            statuses.Add((await response.Content.ReadFromJsonAsync<WebhookAck>(Ct))!.Status);
        }

        // Redis forgets (flushed, evicted, down): the TicketService inbox still recognises the delivery.
        await ForgetMarkAsync(DeliveryDedup.Key("intercom", deliveryId));

        using (var third = await gateway.Http.SendAsync(Deliveries.SignedIntercom(json), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
            statuses.Add((await third.Content.ReadFromJsonAsync<WebhookAck>(Ct))!.Status);
        }

        Assert.Equal(["queued", "duplicate", "duplicate"], statuses);
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM sync.inbox WHERE delivery_id = @id", deliveryId));
    }

    [Fact]
    public async Task Webhook_trace_context_travels_with_the_job()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var tickets = await TicketServiceProcess.StartAsync(GatewayHost.FreePort(), database, redis.ConnectionString);
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, tickets.GrpcAddress!);
        var conversationId = "888" + Random.Shared.Next(100_000, 999_999);
        // The sender's trace (its traceparent header is written by HttpClient from the current activity).
        using var sender = new Activity("vendor-sends-webhook").SetIdFormat(ActivityIdFormat.W3C).Start();
        var traceId = sender.TraceId.ToHexString();

        var request = Deliveries.SignedIntercom(Deliveries.IntercomJson("notif_trace_" + Guid.NewGuid().ToString("N"), "conversation.user.created", conversationId));
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        sender.Stop();

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT traceparent FROM sync.jobs WHERE conversation_id = @c", connection);
        command.Parameters.AddWithValue("c", conversationId);
        var traceparent = (string?)await command.ExecuteScalarAsync(Ct);
        Assert.StartsWith($"00-{traceId}-", traceparent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zendesk_status_change_of_a_Ferry_ticket_is_queued_for_its_conversation()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var tickets = await TicketServiceProcess.StartAsync(GatewayHost.FreePort(), database, redis.ConnectionString);
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, tickets.GrpcAddress!);
        var conversationId = "999" + Random.Shared.Next(100_000, 999_999);

        using var response = await gateway.Http.SendAsync(
            Deliveries.SignedZendesk(Deliveries.ZendeskJson(4242, conversationId), invocationId: "inv_" + Guid.NewGuid().ToString("N")), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ack = await response.Content.ReadFromJsonAsync<WebhookAck>(Ct);
        Assert.Equal("queued", ack!.Status);

        using var channel = gateway.GrpcChannel();
        var state = await new Sync.SyncClient(channel).GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, Key, cancellationToken: Ct);
        Assert.Equal(ack.JobId, state.JobId);
    }

    [Fact]
    public async Task Zendesk_delivery_replayed_with_a_new_invocation_id_inside_the_signature_window_is_a_duplicate()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var tickets = await TicketServiceProcess.StartAsync(GatewayHost.FreePort(), database, redis.ConnectionString);
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, tickets.GrpcAddress!);
        var ticketId = Random.Shared.NextInt64(100_000, 900_000);
        var json = Deliveries.ZendeskJson(ticketId, "999" + Random.Shared.Next(100_000, 999_999));
        var signedAt = DateTimeOffset.UtcNow.AddMinutes(-1);

        async Task<WebhookAck> SendAsync(string invocationId)
        {
            using var response = await gateway.Http.SendAsync(Deliveries.SignedZendesk(json, signedAt, invocationId), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<WebhookAck>(Ct))!;
        }

        Assert.Equal("queued", (await SendAsync("inv_original")).Status);

        // The invocation id header is not signed: an attacker who captured the delivery can change it at will.
        Assert.Equal("duplicate", (await SendAsync("inv_forged_1")).Status);

        // Without Redis's memory, the inbox's delivery id (derived from the signed bytes) still refuses it.
        var signedTimestamp = signedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await ForgetMarkAsync(DeliveryDedup.Key("zendesk", ZendeskWebhooks.ContentDeliveryId(signedTimestamp, System.Text.Encoding.UTF8.GetBytes(json))));

        Assert.Equal("duplicate", (await SendAsync("inv_forged_2")).Status);
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM sync.inbox WHERE ticket_id = @id::bigint", ticketId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task A_watch_stream_survives_idle_time_longer_than_the_proxys_activity_timeout()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var tickets = await TicketServiceProcess.StartAsync(GatewayHost.FreePort(), database, redis.ConnectionString);
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, tickets.GrpcAddress!, new Dictionary<string, string?>
        {
            // Scaled down: 1 s stands for YARP's 100 s default, 1 min for the streaming route's long idle allowance.
            ["ReverseProxy:Clusters:tickets-grpc:HttpRequest:ActivityTimeout"] = "00:00:01",
            ["ReverseProxy:Clusters:tickets-grpc-streams:HttpRequest:ActivityTimeout"] = "00:01:00",
        });
        var conversationId = "watch" + Guid.NewGuid().ToString("N")[..8];
        using var channel = gateway.GrpcChannel();
        using var call = new Sync.SyncClient(channel).WatchSyncs(new WatchSyncsRequest { ConversationId = conversationId }, Key, cancellationToken: Ct);

        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync(Ct);
            await using var record = new NpgsqlCommand($"""
                WITH j AS (INSERT INTO sync.jobs (conversation_id, trigger) VALUES ('{conversationId}', 'api') RETURNING job_id),
                     a AS (INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, started_at)
                           SELECT job_id, 1, '{conversationId}', 'api', 'success', now() FROM j RETURNING attempt_id)
                SELECT pg_notify('ferry_sync_attempts', attempt_id::text) FROM a
                """, connection);
            await record.ExecuteNonQueryAsync(Ct);
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromSeconds(20));
        Assert.True(await call.ResponseStream.MoveNext(patience.Token));
        Assert.Equal(conversationId, call.ResponseStream.Current.ConversationId);
    }

    [Fact]
    public async Task A_dismissal_through_the_gateway_records_the_API_client_that_made_it_not_a_name_the_caller_claims()
    {
        var database = await postgres.CreateDatabaseAsync("gateway");
        var ticketsPort = GatewayHost.FreePort();
        await using var tickets = await TicketServiceProcess.StartAsync(ticketsPort, database, redis.ConnectionString);
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, new Uri($"http://127.0.0.1:{ticketsPort}"));
        var conversationId = Random.Shared.NextInt64(1_000_000, 9_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, await CountAsync(database, "WITH dead AS (INSERT INTO sync.jobs (conversation_id, trigger, state, attempt, last_error, dead_at) VALUES (@id, 'webhook', 'dead', 1, 'Timed out', now()) RETURNING 1) SELECT count(*) - 1 FROM dead", conversationId));

        using var channel = gateway.GrpcChannel();
        var sync = new Sync.SyncClient(channel);
        var claiming = new Metadata { { "x-api-key", GatewayHost.OtherApiKey }, { ApiClients.Header, "someone-else" } };
        var reply = await sync.DismissAsync(new DismissRequest { ConversationId = conversationId, Note = "known cause" }, claiming, cancellationToken: Ct);

        Assert.Equal(1, reply.Dismissed);
        var dismissed = Assert.Single((await sync.ListDeadJobsAsync(new ListDeadJobsRequest { Dismissed = true }, Key, cancellationToken: Ct)).Jobs);
        Assert.Equal((conversationId, GatewayHost.OtherApiClient, "known cause"), (dismissed.ConversationId, dismissed.DismissedBy, dismissed.DismissalNote));
    }

    private static async Task<long> CountAsync(string database, string sql, string id)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Redis forgets a delivery the gateway marked (it marks without waiting for Redis's answer, so wait for the mark first).</summary>
    private async Task ForgetMarkAsync(RedisKey key)
    {
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var waited = Stopwatch.StartNew();
        while (!await multiplexer.GetDatabase().KeyDeleteAsync(key))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"{key} was never marked");
            await Task.Delay(20, Ct);
        }
    }
}
