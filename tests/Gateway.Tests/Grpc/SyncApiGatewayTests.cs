using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1;

namespace Ferry.Gateway.Tests.Grpc;

/// <summary>The Sync API surface of the gateway: API keys, per-client rate limit, reflection, health.</summary>
public sealed class SyncApiGatewayTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync() =>
        _gateway = await GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress(), new Dictionary<string, string?>
        {
            ["Gateway:RateLimit:PermitLimit"] = "3",
            ["Gateway:RateLimit:Window"] = "01:00:00",
        });

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Metadata Key(string key) => new() { { "x-api-key", key } };

    [Fact]
    public async Task Sync_call_without_an_api_key_is_Unauthenticated()
    {
        using var channel = _gateway.GrpcChannel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Sync.SyncClient(channel).GetSyncAsync(new GetSyncRequest { ConversationId = "1" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Sync_call_with_a_wrong_api_key_is_Unauthenticated()
    {
        using var channel = _gateway.GrpcChannel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Sync.SyncClient(channel).GetSyncAsync(new GetSyncRequest { ConversationId = "1" }, Key("not-a-key"), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Streaming_call_without_an_api_key_is_Unauthenticated()
    {
        using var channel = _gateway.GrpcChannel();
        using var call = new Sync.SyncClient(channel).WatchSyncs(new WatchSyncsRequest(), cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Sync_call_with_a_valid_key_passes_authentication_and_is_proxied()
    {
        // TicketService is down here, so the proxy itself answers: Unavailable, not Unauthenticated.
        using var channel = _gateway.GrpcChannel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Sync.SyncClient(channel).GetSyncAsync(new GetSyncRequest { ConversationId = "1" }, Key(GatewayHost.OtherApiKey), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task Identity_operator_calls_need_a_key_and_are_proxied_while_the_internal_ones_are_not_routed()
    {
        // IdentityService is not there either: a proxied call is answered Unavailable by the proxy.
        using var channel = _gateway.GrpcChannel();
        var identity = new Identity.IdentityClient(channel);
        var anonymous = await Assert.ThrowsAsync<RpcException>(() => identity.ListLinksAsync(new ListLinksRequest(), cancellationToken: Ct).ResponseAsync);
        var proxied = await Assert.ThrowsAsync<RpcException>(() => identity.ListLinksAsync(new ListLinksRequest(), Key(GatewayHost.OtherApiKey), cancellationToken: Ct).ResponseAsync);
        var internalCall = await Assert.ThrowsAsync<RpcException>(() =>
            identity.ResolveRequesterAsync(new ResolveRequesterRequest { Contact = new Contact { IntercomContactId = "1" } }, Key(GatewayHost.OtherApiKey), cancellationToken: Ct).ResponseAsync);
        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unavailable, StatusCode.Unimplemented), (anonymous.StatusCode, proxied.StatusCode, internalCall.StatusCode));
    }

    /// <summary>The status of each of <paramref name="calls"/> GetSync calls (TicketService is down: none succeeds).</summary>
    private async Task<List<StatusCode>> GetSyncStatusesAsync(int calls, Func<int, string> key)
    {
        using var channel = _gateway.GrpcChannel();
        var client = new Sync.SyncClient(channel);
        var codes = new List<StatusCode>();
        for (var i = 0; i < calls; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() =>
                client.GetSyncAsync(new GetSyncRequest { ConversationId = "1" }, Key(key(i)), cancellationToken: Ct).ResponseAsync);
            codes.Add(error.StatusCode);
        }

        return codes;
    }

    [Fact]
    public async Task Calls_without_a_valid_key_are_rate_limited_per_address_without_starving_the_clients()
    {
        Assert.Equal([StatusCode.Unauthenticated, StatusCode.Unauthenticated, StatusCode.Unauthenticated, StatusCode.ResourceExhausted],
            await GetSyncStatusesAsync(4, i => "guess-" + i));
        Assert.Equal([StatusCode.Unavailable], await GetSyncStatusesAsync(1, _ => GatewayHost.ApiKey));
    }

    [Fact]
    public async Task Rate_limit_is_per_client_and_answers_ResourceExhausted() =>
        Assert.Equal([StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.ResourceExhausted],
            await GetSyncStatusesAsync(4, _ => GatewayHost.ApiKey));

    [Fact]
    public async Task Reflection_lists_the_Sync_API_for_a_key_holder_and_hides_the_internal_inbox()
    {
        using var channel = _gateway.GrpcChannel();
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(Key(GatewayHost.OtherApiKey), cancellationToken: Ct);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, Ct);
        Assert.True(await call.ResponseStream.MoveNext(Ct));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("ferry.v1.Sync", services);
        Assert.DoesNotContain("ferry.v1.SyncInbox", services);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "ferry.v1.Sync" }, Ct);
        Assert.True(await call.ResponseStream.MoveNext(Ct));
        Assert.NotEmpty(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto);
        await call.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task Reflection_without_a_key_is_Unauthenticated()
    {
        using var channel = _gateway.GrpcChannel();
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        using var channel = _gateway.GrpcChannel();
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}

public sealed class ApiKeyConfigurationTests(RedisServer redis)
{
    [Fact]
    public async Task A_plain_text_key_where_a_hash_belongs_stops_start_up()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress(),
            new Dictionary<string, string?> { ["Gateway:ApiKeys:careless"] = "my-plain-key" }));
        Assert.Contains("Gateway:ApiKeys:careless", error.Message, StringComparison.Ordinal);
    }
}
