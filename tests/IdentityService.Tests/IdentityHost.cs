using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Ferry.IdentityService.Api;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Net.Client;
using Npgsql;

namespace Ferry.IdentityService.Tests;

/// <summary>
/// IdentityService as it runs in production (its Program, Kestrel on free loopback ports)
/// over a fresh database on the real Postgres, the real Redis and an in-process Sandbox,
/// called through a real gRPC client. One per test class.
/// </summary>
public class IdentityHost(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    private ServiceHost<IdentityApi>? _host;
    private GrpcChannel? _channel;

    public SandboxServer Sandbox { get; } = new();

    public Identity.IdentityClient Client { get; private set; } = null!;

    public string DatabaseConnectionString { get; private set; } = "";

    /// <summary>The Zendesk agent unmatched admins fall back to (seeded before start).</summary>
    public long DefaultAgentId { get; private set; }

    public IServiceProvider Services => _host!.Services;

    /// <summary>Every request the service's HTTP clients sent, with when it left and when its answer came back.</summary>
    public ConcurrentQueue<SentRequest> SentRequests { get; } = new();

    protected virtual string RedisConnectionString => redis.ConnectionString;

    protected virtual string AgentFallback => "DefaultAgent";

    public async ValueTask InitializeAsync()
    {
        await Sandbox.InitializeAsync();
        using (var warmUp = Sandbox.CreateZendeskClient())
        {
            // The first vendor request pays the sandbox's one-off start-up costs; keep them out of the tests.
            using var response = await warmUp.GetAsync(new Uri("api/v2/users/search?query=warm-up", UriKind.Relative));
        }

        DefaultAgentId = Sandbox.Zendesk.AddUser("Default Agent", $"default-{Guid.NewGuid():N}@agents.example", role: "agent").Id;
        DatabaseConnectionString = await postgres.CreateDatabaseAsync("identity");
        var settings = new Dictionary<string, string?>
        {
            // 50 simultaneous first calls open 50 connections at once; on a shared 2-core machine that can take longer than Npgsql's 15 s default.
            ["ConnectionStrings:ferry"] = DatabaseConnectionString + ";Timeout=60",
            ["ConnectionStrings:redis"] = RedisConnectionString,
            ["Identity:Agents:Fallback"] = AgentFallback,
            ["Identity:Agents:DefaultAgentId"] = DefaultAgentId.ToString(CultureInfo.InvariantCulture),
            ["Identity:TeamGroups:team-configured"] = "777",
        };
        foreach (var (key, value) in Sandbox.VendorSettings)
        {
            settings[key] = value;
        }

        _host = new ServiceHost<IdentityApi>(settings, web => web.ConfigureServices(services =>
            services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => new RecordingHandler(SentRequests))))).Start();
        _channel = _host.CreateGrpcChannel();
        Client = new Identity.IdentityClient(_channel);
    }

    public async Task<int> ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Active Zendesk users in the sandbox holding this address (any identity, any case).</summary>
    public int UsersWithEmail(string email) => Sandbox.Zendesk.Users().Count(u => u.Active && u.HasEmail(email.Trim()));

    public int UsersWithExternalId(string externalId) => Sandbox.Zendesk.Users().Count(u => u.Active && u.ExternalId == externalId);

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await Sandbox.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed record SentRequest(Uri Uri, long Sent, long Answered);

/// <summary>Outermost handler of every client of the service under test: records each request's span of time.</summary>
internal sealed class RecordingHandler(ConcurrentQueue<SentRequest> log) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sent = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            log.Enqueue(new SentRequest(request.RequestUri!, sent, Stopwatch.GetTimestamp()));
        }
    }
}

/// <summary>The same service with Redis unreachable (a closed port) and "no assignee" as the agent fallback.</summary>
public sealed class RedisDownIdentityHost(PostgresServer postgres, RedisServer redis) : IdentityHost(postgres, redis)
{
    // A free port is a closed one.
    private static readonly int ClosedPort = LocalServer.FreeLoopbackPort();

    protected override string RedisConnectionString => $"127.0.0.1:{ClosedPort},abortConnect=false,connectTimeout=500";

    protected override string AgentFallback => "None";
}

internal static class Contacts
{
    public static string NewId() => "c" + Guid.NewGuid().ToString("N")[..16];

    public static string NewEmail(string label = "person") => $"{label}-{Guid.NewGuid():N}@customers.example";

    public static Contact New(string? email = null, string? externalId = null, string role = "user", params string[] others)
    {
        var contact = new Contact { IntercomContactId = NewId(), Role = role, Name = "Pat Customer", Email = email ?? "", ExternalId = externalId ?? "" };
        contact.OtherEmails.AddRange(others);
        return contact;
    }

    public static ResolveRequesterRequest Request(Contact contact, bool revalidate = false) => new() { Contact = contact, Revalidate = revalidate };
}
