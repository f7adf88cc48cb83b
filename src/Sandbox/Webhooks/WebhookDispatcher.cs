using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Zendesk;

namespace Ferry.Sandbox.Webhooks;

/// <summary>One event to deliver (possibly several times). <see cref="Build"/> makes the body and headers for an attempt.</summary>
public sealed record WebhookEvent(string Vendor, string Url, string Id, string Topic, Func<int, DateTimeOffset, (byte[] Body, IReadOnlyDictionary<string, string> Headers)> Build);

/// <summary>What happened to one delivery attempt (admin API: GET /admin/webhooks).</summary>
public sealed record WebhookAttempt(string Vendor, string Id, string Topic, int Attempt, int? StatusCode, string? Error, DateTimeOffset At);

/// <summary>
/// Webhooks out: Intercom notification envelopes signed with X-Hub-Signature (HMAC-SHA1 of the raw body,
/// client secret) and Zendesk status-change webhooks signed with base64(HMAC-SHA256(secret, timestamp + body)).
/// At least once: retried with exponential backoff on failure; duplicated or reordered when the faults say so.
/// </summary>
public sealed partial class WebhookDispatcher(
    IHttpClientFactory httpClients,
    SandboxOptions options,
    FaultState faults,
    SandboxClock clock,
    IntercomState intercom,
    IntercomRenderer renderer,
    SandboxUrls urls,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly Channel<WebhookEvent> _queue = Channel.CreateUnbounded<WebhookEvent>();
    private readonly ConcurrentQueue<WebhookAttempt> _attempts = new();
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();

    public IReadOnlyList<WebhookAttempt> Attempts => [.. _attempts];

    /// <summary>Events enqueued and not yet finally delivered or abandoned.</summary>
    public int Pending => _queue.Reader.Count + _inFlight.Count;

    /// <summary>Sends the conversation's current state under <paramref name="topic"/> (call with or without the state lock).</summary>
    public void IntercomConversation(string topic, string conversationId)
    {
        if (options.Intercom.WebhookUrl.Length == 0)
        {
            return;
        }

        JsonNode item;
        lock (intercom.Gate)
        {
            if (intercom.Conversation(conversationId) is not { } conversation)
            {
                return;
            }

            item = JsonSerializer.SerializeToNode(renderer.Conversation(conversation, urls.Root), SandboxJson.Options)!;
        }

        IntercomNotification(topic, item);
    }

    /// <summary>
    /// <c>conversation.deleted</c>: like every <c>*.deleted</c> topic, a minimal payload of identifying fields, not the
    /// conversation (it is gone).
    /// </summary>
    public void IntercomConversationDeleted(string conversationId) =>
        IntercomNotification("conversation.deleted", new JsonObject { ["type"] = "conversation", ["id"] = conversationId });

    public void IntercomNotification(string topic, JsonNode item)
    {
        if (options.Intercom.WebhookUrl.Length == 0)
        {
            return;
        }

        var id = $"notif_{Guid.NewGuid():N}";
        var createdAt = clock.UnixNow;
        Enqueue(new WebhookEvent("intercom", options.Intercom.WebhookUrl, id, topic, (attempt, firstSent) =>
        {
            var envelope = new JsonObject
            {
                ["type"] = "notification_event",
                ["app_id"] = options.Intercom.AppId,
                ["data"] = new JsonObject { ["type"] = "notification_event_data", ["item"] = item.DeepClone() },
                ["links"] = new JsonObject(),
                ["id"] = id,
                ["topic"] = topic,
                ["delivery_status"] = "pending",
                ["delivery_attempts"] = attempt,
                ["delivered_at"] = 0,
                ["first_sent_at"] = firstSent.ToUnixTimeSeconds(),
                ["created_at"] = createdAt,
                ["self"] = null,
            };
            var body = Encoding.UTF8.GetBytes(envelope.ToJsonString(SandboxJson.Options));
            #pragma warning disable CA5350 // Intercom signs webhooks with HMAC-SHA1; the sandbox must do the same.
            var signature = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(options.Intercom.ClientSecret), body));
#pragma warning restore CA5350
            return (body, new Dictionary<string, string> { ["X-Hub-Signature"] = signature });
        }));
    }

    /// <summary>
    /// The status-change trigger's webhook with the template Ferry documents (docs/WEBHOOKS.md):
    /// <c>{"ticket_id":"{{ticket.id}}","external_id":"{{ticket.external_id}}","status":"{{ticket.status}}","updated_at":"{{ticket.updated_at_with_timestamp}}"}</c>.
    /// </summary>
    public void ZendeskStatusChanged(ZdTicket ticket) => ZendeskTicketEvent(ticket, "ticket.status_changed", null);

    /// <summary>
    /// The comment trigger's webhook (docs/WEBHOOKS.md: the same body plus <c>"comment_id":"{{ticket.latest_comment.id}}"</c>;
    /// conditions "comment is present" and "current user is not Ferry's API user"): sent for comments agents write in
    /// Zendesk, never for the API's.
    /// </summary>
    public void ZendeskCommentAdded(ZdTicket ticket, ZdComment comment) => ZendeskTicketEvent(ticket, "ticket.comment_added", comment.Id);

    private void ZendeskTicketEvent(ZdTicket ticket, string topic, long? commentId)
    {
        if (options.Zendesk.WebhookUrl.Length == 0)
        {
            return;
        }

        // Zendesk renders every placeholder as text: the id arrives as a string, an empty external_id as "".
        var body = new Dictionary<string, string>
        {
            ["ticket_id"] = ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["external_id"] = ticket.ExternalId ?? "",
            ["status"] = ticket.Status,
            ["updated_at"] = SandboxJson.Iso(ticket.UpdatedAt),
        };
        if (commentId is { } comment)
        {
            body["comment_id"] = comment.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(body, SandboxJson.Options);
        var id = Guid.NewGuid().ToString("N");
        Enqueue(new WebhookEvent("zendesk", options.Zendesk.WebhookUrl, id, topic, (_, _) =>
        {
            var timestamp = SandboxJson.Iso(clock.GetUtcNow());
            var signed = Encoding.UTF8.GetBytes(timestamp).Concat(payload).ToArray();
            var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Zendesk.WebhookSecret), signed));
            return (payload, new Dictionary<string, string>
            {
                ["X-Zendesk-Webhook-Signature"] = signature,
                ["X-Zendesk-Webhook-Signature-Timestamp"] = timestamp,
                ["X-Zendesk-Webhook-Id"] = "01SANDBOXWEBHOOK",
                ["X-Zendesk-Webhook-Invocation-Id"] = id,
            });
        }));
    }

    private void Enqueue(WebhookEvent e)
    {
        _queue.Writer.TryWrite(e);
        if (FaultState.Roll(faults.Current.DuplicateWebhookRate))
        {
            _queue.Writer.TryWrite(e);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WebhookEvent? held = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                WebhookEvent next;
                if (held is null)
                {
                    next = await _queue.Reader.ReadAsync(stoppingToken);
                }
                else
                {
                    // Out-of-order mode: a held event goes after the next one, or alone after a short wait.
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    wait.CancelAfter(TimeSpan.FromMilliseconds(500));
                    try
                    {
                        next = await _queue.Reader.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        Start(held, stoppingToken);
                        held = null;
                        continue;
                    }
                }

                if (held is not null)
                {
                    Start(next, stoppingToken);
                    Start(held, stoppingToken);
                    held = null;
                }
                else if (faults.Current.ReorderWebhooks)
                {
                    held = next;
                }
                else
                {
                    Start(next, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Start(WebhookEvent e, CancellationToken stoppingToken)
    {
        var task = DeliverAsync(e, stoppingToken);
        _inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task DeliverAsync(WebhookEvent e, CancellationToken stoppingToken)
    {
        var firstSent = clock.GetUtcNow();
        var client = httpClients.CreateClient("webhooks");
        for (var attempt = 1; attempt <= options.Webhooks.MaxAttempts; attempt++)
        {
            int? status = null;
            string? error = null;
            try
            {
                var (body, headers) = e.Build(attempt, firstSent);
                using var request = new HttpRequestMessage(HttpMethod.Post, e.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                foreach (var (name, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(options.Webhooks.Timeout);
                using var response = await client.SendAsync(request, timeout.Token);
                status = (int)response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                error = ex.GetType().Name;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Record(new WebhookAttempt(e.Vendor, e.Id, e.Topic, attempt, status, error, clock.GetUtcNow()));
            if (status is >= 200 and < 300)
            {
                return;
            }

            LogAttemptFailed(logger, e.Vendor, e.Topic, attempt, status, error);
            if (attempt < options.Webhooks.MaxAttempts)
            {
                try
                {
                    await Task.Delay(options.Webhooks.FirstRetryDelay * Math.Pow(2, attempt - 1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        LogAbandoned(logger, e.Vendor, e.Topic, e.Id);
    }

    private void Record(WebhookAttempt attempt)
    {
        _attempts.Enqueue(attempt);
        while (_attempts.Count > 5000 && _attempts.TryDequeue(out _))
        {
        }
    }

    public void ClearLog() => _attempts.Clear();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Vendor} {Topic} attempt {Attempt} failed: status {Status}, {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string vendor, string topic, int attempt, int? status, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Vendor} {Topic} {Id} abandoned after the last attempt")]
    private static partial void LogAbandoned(ILogger logger, string vendor, string topic, string id);
}
