using System.Net;
using System.Net.Sockets;
using Ferry.IdentityService.Extensions;
using Ferry.Testing;
using Ferry.V1;
using Microsoft.AspNetCore.Builder;

namespace Ferry.TicketService.Tests.Rules;

/// <summary>
/// The rules through the real TicketService (its Program, queue and worker) with the real
/// IdentityService, Postgres, Redis and the sandbox: "only conversations tagged billing", and the
/// mapped group, priority, type, custom fields and tags on the ticket Zendesk stores.
/// </summary>
public sealed class RoutingRulesTests(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromMinutes(2);
    private SandboxServer _sandbox = null!;
    private WebApplication _identity = null!;
    private TicketServiceHost _tickets = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await SandboxServer.CreateAsync();
        var identityGrpc = FreePort();
        var identitySettings = new Dictionary<string, string?>(_sandbox.VendorSettings)
        {
            ["ConnectionStrings:ferry"] = await postgres.CreateDatabaseAsync("rules_identity"),
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{FreePort()}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{identityGrpc}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        _identity = IdentityApp.Build([.. identitySettings.Select(s => $"--{s.Key}={s.Value}")]);
        await _identity.MigrateAsync(Ct);
        await _identity.StartAsync(Ct);

        var settings = new Dictionary<string, string?>(_sandbox.VendorSettings)
        {
            ["ConnectionStrings:ferry"] = await postgres.CreateDatabaseAsync("rules_tickets"),
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["services:identity:grpc:0"] = $"http://127.0.0.1:{identityGrpc}",
            ["services:attachments:grpc:0"] = "http://127.0.0.1:9",
            ["Logging:LogLevel:Default"] = "Warning",
            // The docs/SYNC.md example, as environment-style keys.
            ["Rules:Include:0:Name"] = "only-billing",
            ["Rules:Include:0:TagsAny:0"] = "billing",
            ["Rules:TagMap:Billing"] = "billing_queue",
            ["Rules:Routes:0:Name"] = "enterprise-billing",
            ["Rules:Routes:0:Attributes:plan"] = "enterprise",
            ["Rules:Routes:0:Set:GroupId"] = "360002",
            ["Rules:Routes:0:Set:Priority"] = "high",
            ["Rules:Routes:0:Set:Tags:0"] = "enterprise",
            ["Rules:Routes:0:Set:CustomFields:360200"] = "{{conversation.id}}",
            ["Rules:Routes:0:Set:CustomFields:360201"] = "{{priority}}",
            ["Rules:Defaults:Type"] = "question",
            ["Rules:Defaults:Priority"] = "normal",
        };
        _tickets = new TicketServiceHost(settings);
        _ = _tickets.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _tickets.DisposeAsync();
        await _identity.StopAsync();
        await _identity.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task A_conversation_outside_the_rules_gets_no_ticket_and_one_inside_gets_the_mapped_fields()
    {
        // Two customers: the skipped conversation's must not become a Zendesk user, whatever the other sync does meanwhile.
        var contact = _sandbox.Intercom.AddContact("user", $"ann-{Guid.NewGuid():N}@customers.example", "Ann Example");
        var sales = _sandbox.Intercom.CreateConversation(contact, "Question about seats", "<p>How many seats?</p>");
        _sandbox.Intercom.AddTag(sales.Id, _sandbox.Intercom.Tag("sales"));
        var billingContact = _sandbox.Intercom.AddContact("user", $"bea-{Guid.NewGuid():N}@customers.example", "Bea Example");
        var billing = _sandbox.Intercom.CreateConversation(billingContact, "Invoice wrong", "<p>My invoice is wrong</p>");
        _sandbox.Intercom.AddTag(billing.Id, _sandbox.Intercom.Tag("Billing"));
        lock (_sandbox.Intercom.Gate)
        {
            billing.CustomAttributes["plan"] = "enterprise";
            billing.Priority = "urgent";
        }

        var sync = new V1.Sync.SyncClient(_tickets.CreateChannel());
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = sales.Id }, cancellationToken: Ct);
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = billing.Id }, cancellationToken: Ct);

        var skipped = await WaitForAttemptAsync(sync, sales.Id);
        Assert.Equal(Outcome.Skipped, skipped.LastAttempt.Outcome);
        Assert.Equal("Skipped by rules: not tagged billing (rule 'only-billing')", skipped.LastAttempt.Reason);
        Assert.Equal(0, skipped.TicketId);
        Assert.Empty(_sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{sales.Id}"));
        Assert.DoesNotContain(_sandbox.Zendesk.Users(), u => u.HasEmail(contact.Email!));

        var synced = await WaitForAttemptAsync(sync, billing.Id);
        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        var ticket = Assert.Single(_sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{billing.Id}"));
        Assert.Equal(synced.TicketId, ticket.Id);
        Assert.Equal(360002, ticket.GroupId);
        Assert.Equal("high", ticket.Priority);
        Assert.Equal("question", ticket.Type);
        Assert.Equal(["billing_queue", "enterprise", "ferry"], ticket.Tags.Order(StringComparer.Ordinal));
        Assert.Equal([(360200L, (object?)billing.Id), (360201L, "urgent")], ticket.CustomFields.Select(f => (f.Id, f.Value)));

        // Untagged later, the conversation keeps its ticket: new replies still reach it.
        lock (_sandbox.Intercom.Gate)
        {
            billing.Tags.Clear();
        }

        _sandbox.Intercom.AddPart(billing.Id, "comment", _sandbox.Intercom.AuthorFor(billingContact), "<p>Any news?</p>");
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = billing.Id }, cancellationToken: Ct);
        var appended = await WaitForAttemptAsync(sync, billing.Id, after: synced.LastAttempt.AttemptId);
        Assert.Equal(Outcome.Success, appended.LastAttempt.Outcome);
        Assert.Equal(ticket.Id, appended.TicketId);
        Assert.Equal(2, Assert.Single(_sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{billing.Id}")).Comments.Count);
    }

    private static async Task<SyncState> WaitForAttemptAsync(V1.Sync.SyncClient sync, string conversationId, long after = 0)
    {
        var deadline = DateTime.UtcNow + SyncTimeout;
        while (true)
        {
            var state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
            if (state.LastAttempt is { Outcome: Outcome.Success or Outcome.Skipped } last && last.AttemptId > after)
            {
                return state;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Conversation {conversationId}: no successful or skipped attempt; last: {state.LastAttempt}");
            }

            await Task.Delay(200, Ct);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
