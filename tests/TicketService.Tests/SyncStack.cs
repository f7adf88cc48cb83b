extern alias attachments;

using Ferry.IdentityService.Api;
using Ferry.ServiceDefaults.Vendors;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests;

/// <summary>
/// The real TicketService (its Program, queue and worker) with the real IdentityService, Postgres,
/// Redis and the sandbox, one database pair per stack; more TicketService replicas on the same database on demand.
/// </summary>
public sealed class SyncStack : IAsyncDisposable
{
    private readonly ServiceHost<IdentityApi> _identity;
    private readonly ServiceHost<attachments::Ferry.AttachmentService.Api.AttachmentsApi>? _attachments;
    private readonly Dictionary<string, string?> _ticketSettings;
    private readonly List<TicketServiceHost> _replicas = [];

    private SyncStack(SandboxServer sandbox, ServiceHost<IdentityApi> identity, ServiceHost<attachments::Ferry.AttachmentService.Api.AttachmentsApi>? attachments, Dictionary<string, string?> ticketSettings)
    {
        (Sandbox, _identity, _attachments, _ticketSettings) = (sandbox, identity, attachments, ticketSettings);
        Tickets = AddReplica();
        Sync = new V1.Sync.SyncClient(Tickets.CreateGrpcChannel());
    }

    public SandboxServer Sandbox { get; }

    public TicketServiceHost Tickets { get; }

    public V1.Sync.SyncClient Sync { get; }

    public string TicketsConnectionString => _ticketSettings["ConnectionStrings:ferry"]!;

    /// <param name="name">Prefix of the stack's two databases.</param>
    /// <param name="ticketSettings">TicketService configuration on top of the vendors, databases and services.</param>
    /// <param name="attachments">Runs the real AttachmentService too (else its address is a closed port: no conversation may carry files).</param>
    public static async Task<SyncStack> CreateAsync(
        PostgresServer postgres, RedisServer redis, string name, IReadOnlyDictionary<string, string?> ticketSettings, CancellationToken cancellationToken, bool attachments = false)
    {
        var sandbox = await SandboxServer.CreateAsync();
        var identitySettings = new Dictionary<string, string?>(sandbox.VendorSettings)
        {
            ["ConnectionStrings:ferry"] = await postgres.CreateDatabaseAsync($"{name}_identity"),
            ["ConnectionStrings:redis"] = redis.ConnectionString,
        };
        // The vendor rate budget is shared by both services.
        foreach (var (key, value) in ticketSettings.Where(s => s.Key.StartsWith("RateLimits:", StringComparison.Ordinal)))
        {
            identitySettings[key] = value;
        }

        var identity = new ServiceHost<IdentityApi>(identitySettings).Start();
        var attachmentService = attachments ? new ServiceHost<attachments::Ferry.AttachmentService.Api.AttachmentsApi>(AttachmentServiceSettings.For(sandbox, redis.ConnectionString)).Start() : null;

        var settings = new Dictionary<string, string?>(sandbox.VendorSettings)
        {
            ["ConnectionStrings:ferry"] = await postgres.CreateDatabaseAsync($"{name}_tickets"),
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["services:identity:grpc:0"] = identity.GrpcAddress.ToString(),
            ["services:attachments:grpc:0"] = attachmentService?.GrpcAddress.ToString() ?? "http://127.0.0.1:9",
        };
        foreach (var (key, value) in ticketSettings)
        {
            settings[key] = value;
        }

        return new SyncStack(sandbox, identity, attachmentService, settings);
    }

    /// <summary>Another TicketService process on the same database (a replica), started.</summary>
    public TicketServiceHost AddReplica()
    {
        var replica = new TicketServiceHost(_ticketSettings);
        replica.Start();
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>
    /// TicketService in a process of its own on the stack's database, with <paramref name="more"/> settings on top
    /// (for tests that kill it); started and serving.
    /// </summary>
    public Task<ServiceProcess> StartProcessAsync(IReadOnlyDictionary<string, string?> more)
    {
        var settings = new Dictionary<string, string?>(_ticketSettings);
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return TicketServiceProcess.StartAsync(LocalServer.FreeLoopbackPort(), settings);
    }

    /// <summary>A conversation a new customer opened in the sandbox's Intercom (no webhook sent); its id.</summary>
    public string NewConversation(string subject)
    {
        var contact = Sandbox.Intercom.AddContact("user", $"c-{Guid.NewGuid():N}@customers.example", "Cam Example");
        return Sandbox.Intercom.CreateConversation(contact, subject, $"<p>{subject}</p>").Id;
    }

    /// <summary>Requests a sync of the conversation and waits for its next successful or skipped attempt after <paramref name="after"/>.</summary>
    public async Task<SyncState> RequestAndWaitAsync(string conversationId, long after, CancellationToken cancellationToken)
    {
        await Sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = conversationId }, cancellationToken: cancellationToken);
        return await WaitForAttemptAsync(conversationId, cancellationToken, after);
    }

    /// <summary>The conversation's next successful or skipped sync attempt after <paramref name="after"/>.</summary>
    public Task<SyncState> WaitForAttemptAsync(string conversationId, CancellationToken cancellationToken, long after = 0) =>
        WaitForAsync(conversationId, after, outcome => outcome is Outcome.Success or Outcome.Skipped, "successful or skipped", cancellationToken);

    /// <summary>The conversation's next failed sync attempt after <paramref name="after"/>.</summary>
    public Task<SyncState> WaitForFailureAsync(string conversationId, long after, CancellationToken cancellationToken) =>
        WaitForAsync(conversationId, after, outcome => outcome == Outcome.Failure, "failed", cancellationToken);

    /// <summary>A reply from the conversation's first contact, whose webhook never comes.</summary>
    public void ReplyFromCustomer(string conversationId, string body)
    {
        var contact = Sandbox.Intercom.Contact(Sandbox.Intercom.Conversation(conversationId)!.ContactIds[0])!;
        Sandbox.Intercom.AddPart(conversationId, "comment", Sandbox.Intercom.AuthorFor(contact), body);
    }

    /// <summary>An Intercom notification about the conversation, handed over as the gateway does (its webhook, without the gateway).</summary>
    public Task HandOverIntercomAsync(string conversationId, string topic, CancellationToken cancellationToken) => HandOverAsync(new EnqueueRequest
    {
        Source = Vendor.Intercom,
        DeliveryId = $"notif_{Guid.NewGuid():N}",
        Topic = topic,
        ConversationId = conversationId,
        Payload = Google.Protobuf.ByteString.CopyFromUtf8($$$$"""{"type":"notification_event","topic":"{{{{topic}}}}","data":{"item":{"type":"conversation","id":"{{{{conversationId}}}}"}}}"""),
    }, cancellationToken);

    /// <summary>A Zendesk ticket event (a status change, or with <paramref name="commentId"/> a comment), handed over as the gateway does.</summary>
    public Task HandOverZendeskAsync(long ticketId, string conversationId, string status, CancellationToken cancellationToken, long? commentId = null) => HandOverAsync(new EnqueueRequest
    {
        Source = Vendor.Zendesk,
        DeliveryId = $"zd-{Guid.NewGuid():N}",
        Topic = commentId is null ? VendorEvents.ZendeskStatusTopic : VendorEvents.ZendeskCommentTopic,
        TicketId = ticketId,
        Payload = Google.Protobuf.ByteString.CopyFromUtf8(commentId is null
            ? $$"""{"ticket_id":"{{ticketId}}","external_id":"intercom-conversation-{{conversationId}}","status":"{{status}}"}"""
            : $$"""{"ticket_id":"{{ticketId}}","external_id":"intercom-conversation-{{conversationId}}","status":"{{status}}","comment_id":"{{commentId}}"}"""),
    }, cancellationToken);

    private async Task HandOverAsync(EnqueueRequest delivery, CancellationToken cancellationToken)
    {
        using var channel = Tickets.CreateGrpcChannel();
        await new SyncInbox.SyncInboxClient(channel).EnqueueAsync(delivery, cancellationToken: cancellationToken);
    }

    private async Task<SyncState> WaitForAsync(string conversationId, long after, Func<Outcome, bool> wanted, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                var state = await Sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: cancellationToken);
                if (state.LastAttempt is { } last && last.AttemptId > after && wanted(last.Outcome))
                {
                    return state;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Conversation {conversationId}: no {what} attempt; last: {state.LastAttempt}");
                }
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound && DateTime.UtcNow < deadline)
            {
                // Not queued yet.
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await _identity.DisposeAsync();
        if (_attachments is not null)
        {
            await _attachments.DisposeAsync();
        }
        await Sandbox.DisposeAsync();
    }
}
