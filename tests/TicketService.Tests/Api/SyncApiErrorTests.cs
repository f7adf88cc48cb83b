using Ferry.Testing;
using Ferry.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Ferry.TicketService.Tests.Api;

/// <summary>Bad input and down dependencies give precise, actionable status codes.</summary>
public sealed class SyncApiErrorTests(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    private TicketServiceHost _host = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _host = TicketServiceHost.WithoutVendors(await postgres.CreateDatabaseAsync("api"), redis.ConnectionString);
        _host.Start();
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Enqueue_without_a_delivery_id_is_invalid()
    {
        var inbox = new SyncInbox.SyncInboxClient(_host.CreateGrpcChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => inbox.EnqueueAsync(new EnqueueRequest { Source = Vendor.Intercom, Topic = "conversation.user.replied", ConversationId = "1" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("delivery_id", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../77")]
    [InlineData("77 OR 1=1")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task Enqueue_with_a_conversation_id_the_Sync_API_would_refuse_is_invalid(string conversationId) =>
        await AssertInvalidAsync(
            new EnqueueRequest { Source = Vendor.Intercom, DeliveryId = "notif_bad", Topic = "conversation.user.replied", ConversationId = conversationId },
            "conversation_id must be an Intercom conversation id (letters, digits, '-' or '_', at most 64).");

    [Fact]
    public async Task Enqueue_with_a_negative_ticket_id_is_invalid() =>
        await AssertInvalidAsync(
            new EnqueueRequest { Source = Vendor.Zendesk, DeliveryId = "zd-negative", Topic = "ticket.status_changed", TicketId = -5, ConversationId = "77" },
            "ticket_id must be a Zendesk ticket id (positive; 0 when there is none).");

    private async Task AssertInvalidAsync(EnqueueRequest request, string detail)
    {
        var inbox = new SyncInbox.SyncInboxClient(_host.CreateGrpcChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => inbox.EnqueueAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(detail, error.Status.Detail);
    }

    [Fact]
    public async Task Enqueue_records_once_and_answers_duplicate_for_a_redelivery()
    {
        var inbox = new SyncInbox.SyncInboxClient(_host.CreateGrpcChannel());
        var request = new EnqueueRequest { Source = Vendor.Intercom, DeliveryId = "notif_9", Topic = "conversation.user.replied", ConversationId = "77", Payload = ByteString.CopyFromUtf8("{}") };
        var first = await inbox.EnqueueAsync(request, cancellationToken: Ct);
        var second = await inbox.EnqueueAsync(request, cancellationToken: Ct);

        Assert.True(first.JobId > 0);
        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.JobId, second.JobId);

        var state = await new V1.Sync.SyncClient(_host.CreateGrpcChannel()).GetSyncAsync(new GetSyncRequest { ConversationId = "77" }, cancellationToken: Ct);
        Assert.Equal(first.JobId, state.JobId);
        Assert.Equal(0, state.TicketId);
    }

    [Theory]
    [InlineData(555, "someone-elses")]
    [InlineData(556, "intercom-conversation-../../admin")] // an edited external_id that names no conversation
    public async Task Zendesk_events_for_tickets_Ferry_did_not_create_are_recorded_and_ignored(long ticketId, string externalId)
    {
        var inbox = new SyncInbox.SyncInboxClient(_host.CreateGrpcChannel());
        var reply = await inbox.EnqueueAsync(new EnqueueRequest
        {
            Source = Vendor.Zendesk,
            DeliveryId = "zd-" + ticketId,
            Topic = "ticket.status_changed",
            TicketId = ticketId,
            Payload = ByteString.CopyFromUtf8($$"""{"ticket_id":"{{ticketId}}","external_id":"{{externalId}}","status":"solved"}"""),
        }, cancellationToken: Ct);

        Assert.True(reply.Ignored);
        Assert.Equal(0, reply.JobId);

        // Logged as a skipped attempt, so `ferry attempts` says why nothing happened.
        var attempts = await new V1.Sync.SyncClient(_host.CreateGrpcChannel()).ListAttemptsAsync(new ListAttemptsRequest(), cancellationToken: Ct);
        var skipped = Assert.Single(attempts.Attempts, a => a.TicketId == ticketId);
        Assert.Equal(Outcome.Skipped, skipped.Outcome);
        Assert.Equal("zendesk->intercom", skipped.Direction);
        Assert.Contains("not created by Ferry", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zendesk_events_carrying_a_Ferry_external_id_queue_that_conversation()
    {
        var inbox = new SyncInbox.SyncInboxClient(_host.CreateGrpcChannel());
        var reply = await inbox.EnqueueAsync(new EnqueueRequest
        {
            Source = Vendor.Zendesk,
            DeliveryId = "zd-2",
            Topic = "ticket.status_changed",
            TicketId = 556,
            Payload = ByteString.CopyFromUtf8("""{"ticket_id":"556","external_id":"intercom-conversation-4242","status":"solved"}"""),
        }, cancellationToken: Ct);

        Assert.False(reply.Ignored);
        var state = await new V1.Sync.SyncClient(_host.CreateGrpcChannel()).GetSyncAsync(new GetSyncRequest { ConversationId = "4242" }, cancellationToken: Ct);
        Assert.Equal(reply.JobId, state.JobId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../etc/passwd")]
    public async Task Malformed_conversation_ids_are_invalid(string conversationId)
    {
        var sync = new V1.Sync.SyncClient(_host.CreateGrpcChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Unknown_conversations_are_not_found_with_a_hint()
    {
        var sync = new V1.Sync.SyncClient(_host.CreateGrpcChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => sync.GetSyncAsync(new GetSyncRequest { ConversationId = "404" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("RequestSync", error.Status.Detail, StringComparison.Ordinal);

        var retry = await Assert.ThrowsAsync<RpcException>(() => sync.RetryAsync(new RetryRequest { ConversationId = "404" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, retry.StatusCode);
        var job = await Assert.ThrowsAsync<RpcException>(() => sync.RetryAsync(new RetryRequest { JobId = 987654 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, job.StatusCode);
    }

    [Fact]
    public async Task Bad_paging_arguments_are_invalid()
    {
        var sync = new V1.Sync.SyncClient(_host.CreateGrpcChannel());
        var token = await Assert.ThrowsAsync<RpcException>(() => sync.ListAttemptsAsync(new ListAttemptsRequest { PageToken = "not-a-token" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, token.StatusCode);
        var size = await Assert.ThrowsAsync<RpcException>(() => sync.ListAttemptsAsync(new ListAttemptsRequest { PageSize = 100_000 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, size.StatusCode);
    }

    [Fact]
    public async Task A_down_Intercom_makes_RequestSync_unavailable_not_unknown()
    {
        var sync = new V1.Sync.SyncClient(_host.CreateGrpcChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = "1" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }
}

public sealed class SyncApiDatabaseDownTests(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    private TicketServiceHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync("down");
        _host = TicketServiceHost.WithoutVendors(connectionString, redis.ConnectionString);
        _host.Start(); // migrate while the database is there

        // Then take the database away: terminate and forbid connections.
        await using var admin = new Npgsql.NpgsqlConnection(postgres.AdminConnectionString);
        await admin.OpenAsync();
        var name = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var command = new Npgsql.NpgsqlCommand($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';", admin);
        await command.ExecuteNonQueryAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Enqueue_answers_unavailable_so_the_gateway_returns_503_and_the_vendor_retries()
    {
        var inbox = new SyncInbox.SyncInboxClient(_host.CreateGrpcChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => inbox.EnqueueAsync(new EnqueueRequest
        {
            Source = Vendor.Intercom, DeliveryId = "n1", Topic = "conversation.user.replied", ConversationId = "1",
        }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }
}
