using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;
using Ferry.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Sandbox.Tests;

#pragma warning disable CA5350 // Intercom signs with HMAC-SHA1; the test checks exactly that.
public sealed class WebhookTests
{
    [Fact]
    public async Task Intercom_webhooks_are_signed_and_redelivered_until_accepted()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 2);
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Intercom:WebhookUrl"] = receiver.Url });
        var contact = sandbox.Intercom.AddContact("user", "c@x.example", "C");
        var conversation = sandbox.Intercom.CreateConversation(contact, "Hi", "<p>hi</p>");
        sandbox.Webhooks.IntercomConversation("conversation.user.created", conversation.Id);

        var deliveries = await receiver.WaitForAsync(3);
        Assert.All(deliveries, d =>
        {
            var expected = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(sandbox.IntercomClientSecret), d.Body));
            Assert.Equal(expected, d.Headers["X-Hub-Signature"]);
        });
        var envelopes = deliveries.Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Single(envelopes.Select(e => e["id"]!.GetValue<string>()).Distinct());
        Assert.Equal([1, 2, 3], envelopes.Select(e => e["delivery_attempts"]!.GetValue<int>()));
        Assert.Equal("notification_event", envelopes[0]["type"]!.GetValue<string>());
        Assert.Equal("conversation.user.created", envelopes[0]["topic"]!.GetValue<string>());
        Assert.Equal(conversation.Id, envelopes[0]["data"]!["item"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleting_a_conversation_through_the_API_notifies_conversation_deleted_with_its_id_only()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 0);
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Intercom:WebhookUrl"] = receiver.Url });
        var conversation = sandbox.Intercom.CreateConversation(sandbox.Intercom.AddContact("user", "d@x.example", "D"), "Spam", "<p>buy now</p>");
        using var intercom = sandbox.CreateIntercomClient();

        (await intercom.DeleteAsync($"conversations/{conversation.Id}", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var envelope = JsonNode.Parse((await receiver.WaitForAsync(1))[0].Body)!;
        Assert.Equal("conversation.deleted", envelope["topic"]!.GetValue<string>());
        // Like every *.deleted topic: identifying fields only, not the conversation.
        Assert.Equal($$"""{"type":"conversation","id":"{{conversation.Id}}"}""", envelope["data"]!["item"]!.ToJsonString());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await intercom.DeleteAsync($"conversations/{conversation.Id}", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Zendesk_status_webhooks_are_signed_over_timestamp_and_body()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 0);
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Zendesk:WebhookUrl"] = receiver.Url });
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("R", "r@x.example");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/tickets", new { ticket = new { requester_id = requester.Id, external_id = "intercom-conversation-1", comment = new { body = "x" } } });
        var id = created["ticket"]!["id"]!.GetValue<long>();
        await zendesk.PutJsonAsync($"api/v2/tickets/{id}", new { ticket = new { status = "solved" } });

        var delivery = (await receiver.WaitForAsync(1))[0];
        var timestamp = delivery.Headers["X-Zendesk-Webhook-Signature-Timestamp"];
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(sandbox.ZendeskWebhookSecret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp), .. delivery.Body]));
        Assert.Equal(expected, delivery.Headers["X-Zendesk-Webhook-Signature"]);
        var payload = JsonNode.Parse(delivery.Body)!; // the flat template of docs/WEBHOOKS.md, every value rendered as text
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), payload["ticket_id"]!.GetValue<string>());
        Assert.Equal("solved", payload["status"]!.GetValue<string>());
        Assert.Equal("intercom-conversation-1", payload["external_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_agents_comment_sends_the_comment_webhook_and_the_requester_trigger_counts_public_updates_only()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 0);
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Zendesk:WebhookUrl"] = receiver.Url });
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("R", "r@x.example");
        var agent = sandbox.Zendesk.AddUser("A", "a@x.example", "agent");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/tickets", new { ticket = new { requester_id = requester.Id, external_id = "intercom-conversation-7", comment = new { body = "x" } } });
        var id = created["ticket"]!["id"]!.GetValue<long>();

        // Through the API (Ferry): the trigger emails the requester about the public comment, no comment webhook.
        await zendesk.PutJsonAsync($"api/v2/tickets/{id}", new { ticket = new { comment = new { author_id = requester.Id, html_body = "<p>copy</p>", @public = true } } });
        // In the agent workspace: a reply (webhook with its comment id, email) and a note (webhook, no email).
        var reply = sandbox.AgentDesk.Comment(id, agent.Id, "<p>reply</p>", isPublic: true).Value!;
        var note = sandbox.AgentDesk.Comment(id, agent.Id, "<p>note</p>", isPublic: false).Value!;
        Assert.False(sandbox.AgentDesk.Comment(id, requester.Id, "<p>not an agent</p>", isPublic: true).Error is null);

        // The API comment moved the ticket from new to open: that one is the status trigger's (no comment_id).
        var deliveries = (await receiver.WaitForAsync(3)).Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Single(deliveries, d => d["comment_id"] is null);
        Assert.Equal([reply.Id, note.Id], deliveries.Where(d => d["comment_id"] is not null)
            .Select(d => long.Parse(d["comment_id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.Equal(2, sandbox.Notifications.Sent.Count(e => e.TicketId == id));
        Assert.DoesNotContain(sandbox.Notifications.Sent, e => e.CommentId == note.Id);

        // With the condition docs/DUAL.md asks for, a tagged ticket's requester gets nothing.
        sandbox.Options.Zendesk.NotifyRequesterUnlessTags.Add("ferry");
        await zendesk.PutJsonAsync($"api/v2/tickets/{id}", new { ticket = new { tags = new[] { "ferry" } } });
        sandbox.AgentDesk.Comment(id, agent.Id, "<p>again</p>", isPublic: true);
        Assert.Equal(2, sandbox.Notifications.Sent.Count(e => e.TicketId == id));
    }

    [Fact]
    public async Task Duplicate_fault_delivers_the_same_notification_twice()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 0);
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Intercom:WebhookUrl"] = receiver.Url });
        sandbox.Faults.Current = new FaultSettings { DuplicateWebhookRate = 1 };
        var contact = sandbox.Intercom.AddContact("user", "c@x.example", "C");
        var conversation = sandbox.Intercom.CreateConversation(contact, "Hi", "<p>hi</p>");
        sandbox.Webhooks.IntercomConversation("conversation.user.created", conversation.Id);

        var deliveries = await receiver.WaitForAsync(2);
        Assert.Single(deliveries.Select(d => JsonNode.Parse(d.Body)!["id"]!.GetValue<string>()).Distinct());
    }

    internal sealed record Delivery(byte[] Body, Dictionary<string, string> Headers);

    /// <summary>A real HTTP endpoint on a loopback port that records webhooks and fails the first N.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Delivery> _received = new();
        private WebApplication _app = null!;
        private int _failuresLeft;

        public string Url { get; private set; } = "";

        public static async Task<Receiver> StartAsync(int failFirst)
        {
            var receiver = new Receiver { _failuresLeft = failFirst };
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            receiver._app = builder.Build();
            receiver._app.MapPost("/hook", async (HttpContext http) =>
            {
                using var buffer = new MemoryStream();
                await http.Request.Body.CopyToAsync(buffer);
                receiver._received.Enqueue(new Delivery(buffer.ToArray(), http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
                return Interlocked.Decrement(ref receiver._failuresLeft) >= 0 ? Results.StatusCode(500) : Results.Ok();
            });
            await receiver._app.StartAsync();
            var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            receiver.Url = address.TrimEnd('/') + "/hook";
            return receiver;
        }

        public async Task<List<Delivery>> WaitForAsync(int count)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (_received.Count < count)
            {
                await Task.Delay(50, timeout.Token);
            }

            return [.. _received];
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
