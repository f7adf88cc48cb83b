using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Scenarios;
using Ferry.Sandbox.Webhooks;
using Ferry.Sandbox.Zendesk;

namespace Ferry.Sandbox.Admin;

/// <summary>
/// /admin: seed data, set faults, move the clock, read state. For tests and demos; never part of a
/// vendor API, so no vendor credentials are needed.
/// </summary>
public static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin");

        admin.MapGet("/state", (IntercomState i, ZendeskState z, WebhookDispatcher w, SandboxClock clock) => SandboxJson.Result(new
        {
            now = SandboxJson.Iso(clock.GetUtcNow()),
            clock_offset_seconds = clock.Offset.TotalSeconds,
            intercom = new { contacts = i.Contacts().Count, admins = i.Admins().Count, conversations = i.Conversations().Count },
            zendesk = new { users = z.Users().Count, tickets = z.Tickets().Count, uploads = z.Uploads().Count },
            webhooks = new { pending = w.Pending, attempts = w.Attempts.Count },
        }));
        admin.MapPost("/reset", (IntercomState i, ZendeskState z, RateLimits limits, WebhookDispatcher w, RequestStats stats, FaultState f, RequesterNotifications n) =>
        {
            i.Reset();
            n.Clear();
            f.ResetInjected();
            z.Reset();
            limits.Intercom.Reset();
            limits.Zendesk.Reset();
            w.ClearLog();
            stats.Reset();
            return Results.NoContent();
        });
        admin.MapGet("/stats", (RequestStats stats) => SandboxJson.Result(stats.Snapshot().ToDictionary(
            v => v.Key, v => new { total = v.Value.Total, requests = v.Value.Requests, requestsBeforeRetryAfter = v.Value.RequestsBeforeRetryAfter, earlyRequests = v.Value.EarlyRequests })));
        admin.MapPost("/stats/reset", (RequestStats stats) =>
        {
            stats.Reset();
            return Results.NoContent();
        });
        admin.MapPost("/clock/advance", (double seconds, SandboxClock clock) =>
        {
            clock.Advance(TimeSpan.FromSeconds(seconds));
            return SandboxJson.Result(new { now = SandboxJson.Iso(clock.GetUtcNow()) });
        });
        admin.MapGet("/faults", (FaultState f) => Results.Json(f.Current));
        admin.MapPut("/faults", (FaultSettings settings, FaultState f) =>
        {
            f.Current = settings;
            return Results.Json(f.Current);
        });
        admin.MapGet("/faults/injected", (FaultState f) => SandboxJson.Result(f.Injected()));
        admin.MapGet("/webhooks", (WebhookDispatcher w) => Results.Json(w.Attempts));
        admin.MapPost("/scenarios/seed", (ScenarioSeeder seeder, int? conversations, int? seed) =>
        {
            var created = seeder.Seed(conversations ?? 10, seed ?? 42);
            return SandboxJson.Result(new { conversations = created.Select(c => c.Id) }, 201);
        });

        // Zendesk side
        admin.MapPost("/zendesk/users", async (HttpRequest request, ZendeskState z, CancellationToken ct) =>
        {
            var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
            if (error is not null)
            {
                return Results.BadRequest(error);
            }

            var secondary = (body!["secondary_emails"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList() ?? [];
            var user = z.AddUser(body.Str("name") ?? "User", body.Str("email"), body.Str("role") ?? "end-user", body.Str("external_id"), secondary);
            return SandboxJson.Result(new { user = ZendeskJson.User(user, ZendeskEndpoints.Base(request)) }, 201);
        });
        admin.MapGet("/zendesk/users", (HttpRequest request, ZendeskState z) =>
            SandboxJson.Result(new { users = z.Users().Select(u => ZendeskJson.User(u, ZendeskEndpoints.Base(request))) }));
        // Every uploaded file with the SHA-256 and size the sandbox computed while reading it (the
        // vendor's attachment JSON has no checksum): how a test proves each file arrived intact, once.
        admin.MapGet("/zendesk/uploads", (ZendeskState z) =>
        {
            lock (z.Gate)
            {
                return SandboxJson.Result(new
                {
                    uploads = z.Uploads().Select(u => new
                    {
                        token = u.Token,
                        comment_id = u.CommentId,
                        attachments = u.Attachments.Select(a => new { id = a.Id, file_name = a.FileName, size = a.Size, sha256 = a.Sha256 }),
                    }),
                });
            }
        });
        admin.MapGet("/zendesk/tickets", (HttpRequest request, ZendeskState z) =>
        {
            lock (z.Gate)
            {
                return SandboxJson.Result(new
                {
                    tickets = z.Tickets().Select(t => new
                    {
                        ticket = ZendeskJson.Ticket(t, ZendeskEndpoints.Base(request)),
                        comments = t.Comments.Select(c => ZendeskJson.Comment(c, ZendeskEndpoints.Base(request))),
                    }),
                });
            }
        });
        admin.MapPost("/zendesk/tickets/{id:long}/status", (long id, string status, ZendeskState z, WebhookDispatcher w) =>
        {
            if (!ZendeskState.Statuses.Contains(status))
            {
                return Results.BadRequest($"Unknown status {status}.");
            }

            lock (z.Gate)
            {
                if (z.ForceStatus(id, status) is not { } ticket)
                {
                    return Results.NotFound();
                }

                w.ZendeskStatusChanged(ticket);
                return Results.NoContent();
            }
        });

        // Intercom side
        admin.MapPost("/intercom/admins", (AdminInput input, IntercomState i) => Results.Json(IntercomRenderer.Admin(i.AddAdmin(input.Name ?? "Admin", input.Email ?? "admin@sandbox.example")), SandboxJson.Options, statusCode: 201));
        admin.MapPost("/intercom/contacts", (ContactInput input, IntercomState i, IntercomRenderer r) =>
            SandboxJson.Result(r.Contact(i.AddContact(input.Role ?? "user", input.Email, input.Name, input.ExternalId, input.Phone)), 201));
        admin.MapPost("/intercom/conversations", (HttpRequest request, ConversationInput input, IntercomState i, IntercomRenderer r, WebhookDispatcher w) =>
        {
            if (i.Contact(input.ContactId ?? "") is not { } contact)
            {
                return Results.BadRequest("contact_id must name an existing contact.");
            }

            var conversation = i.CreateConversation(contact, input.Subject ?? "", input.Body ?? "<p>Hello</p>", input.Attachments, input.CreatedAt);
            foreach (var tag in input.Tags ?? [])
            {
                i.AddTag(conversation.Id, i.Tag(tag));
            }

            if (input.Notify ?? true)
            {
                w.IntercomConversation("conversation.user.created", conversation.Id);
            }

            lock (i.Gate)
            {
                return SandboxJson.Result(r.Conversation(conversation, IntercomEndpoints.Root(request)), 201);
            }
        });
        admin.MapGet("/intercom/conversations/{id}", (string id, HttpRequest request, IntercomState i, IntercomRenderer r) =>
        {
            lock (i.Gate)
            {
                return i.Conversation(id) is { } conversation ? SandboxJson.Result(r.Conversation(conversation, IntercomEndpoints.Root(request))) : Results.NotFound();
            }
        });
        // A teammate deletes the conversation in the inbox: gone from every read, conversation.deleted sent (notify=false: the webhook lost).
        admin.MapDelete("/intercom/conversations/{id}", (string id, bool? notify, IntercomState i, WebhookDispatcher w) =>
        {
            if (!i.DeleteConversation(id))
            {
                return Results.NotFound();
            }

            if (notify ?? true)
            {
                w.IntercomConversationDeleted(id);
            }

            return Results.NoContent();
        });
        admin.MapPost("/intercom/conversations/{id}/parts", (string id, HttpRequest request, PartInput input, IntercomState i, IntercomRenderer r, WebhookDispatcher w) =>
        {
            if (AuthorOf(i, input.AuthorType, input.AuthorId) is not { } author)
            {
                return Results.BadRequest(UnknownAuthor);
            }

            var assignedTo = input.AssignedToId is null ? null
                : i.Admin(input.AssignedToId) is { } admin ? IntercomState.AuthorFor(admin)
                : new IcAuthor("team", input.AssignedToId, "Team", null);
            if (i.AddPart(id, input.PartType ?? "comment", author, input.Body, input.Attachments, assignedTo, input.CreatedAt, input.SnoozedUntil) is not { } part)
            {
                return Results.NotFound();
            }

            if (input.Notify ?? true)
            {
                w.IntercomConversation(TopicFor(part), id);
            }

            lock (i.Gate)
            {
                return SandboxJson.Result(r.Part(part, IntercomEndpoints.Root(request)), 201);
            }
        });
        // A long thread in one call: Count parts, "{n}" in Body numbered from Start (1). Webhooks: "each"
        // (what Intercom does, one per reply), "last" (one for the batch) or "none".
        admin.MapPost("/intercom/conversations/{id}/parts/bulk", (string id, BulkPartsInput input, IntercomState i, WebhookDispatcher w) =>
        {
            if (input.Count is < 1 or > MaxBulkParts)
            {
                return Results.BadRequest($"count must be between 1 and {MaxBulkParts}.");
            }

            if (input.Webhooks is not (null or "each" or "last" or "none"))
            {
                return Results.BadRequest("webhooks must be each, last or none.");
            }

            if (AuthorOf(i, input.AuthorType, input.AuthorId) is not { } author)
            {
                return Results.BadRequest(UnknownAuthor);
            }

            var ids = new List<string>(input.Count);
            for (var n = 1; n <= input.Count; n++)
            {
                var number = ((input.Start ?? 1) + n - 1).ToString(CultureInfo.InvariantCulture);
                var body = input.Body?.Replace("{n}", number, StringComparison.Ordinal);
                if (i.AddPart(id, input.PartType ?? "comment", author, body) is not { } part)
                {
                    return Results.NotFound();
                }

                ids.Add(part.Id);
                if (input.Webhooks is null or "each" || (input.Webhooks == "last" && n == input.Count))
                {
                    w.IntercomConversation(TopicFor(part), id);
                }
            }

            return SandboxJson.Result(new { conversation_id = id, part_ids = ids }, 201);
        });
    }

    private const int MaxBulkParts = 5000;

    private const string UnknownAuthor = "author_type/author_id must name an existing admin or contact (or bot/team).";

    private static IcAuthor? AuthorOf(IntercomState i, string? type, string? id) => type switch
    {
        "admin" when i.Admin(id ?? "") is { } a => IntercomState.AuthorFor(a),
        "user" or "lead" when i.Contact(id ?? "") is { } c => i.AuthorFor(c),
        "bot" or "team" => new IcAuthor(type, id ?? "0", type == "bot" ? "Operator" : "Team", null),
        _ => null,
    };

    /// <summary>The Intercom webhook topic for a new part.</summary>
    public static string TopicFor(IcPart part) => part.PartType switch
    {
        "note" => "conversation.admin.noted",
        "close" => "conversation.admin.closed",
        "open" => "conversation.admin.opened",
        "snoozed" => "conversation.admin.snoozed",
        "unsnoozed" => "conversation.admin.unsnoozed",
        "assignment" or "away_mode_assignment" => "conversation.admin.assigned",
        _ => part.Author.Type is "user" or "lead" ? "conversation.user.replied" : "conversation.admin.replied",
    };
}

public sealed record AdminInput(string? Name, string? Email);

public sealed record ContactInput(string? Role, string? Email, string? Name, string? ExternalId, string? Phone);

public sealed record ConversationInput(string? ContactId, string? Subject, string? Body, List<IcAttachment>? Attachments, long? CreatedAt, bool? Notify, List<string>? Tags = null);

public sealed record PartInput(string? PartType, string? AuthorType, string? AuthorId, string? Body, List<IcAttachment>? Attachments,
    string? AssignedToId, long? CreatedAt, long? SnoozedUntil, bool? Notify);

public sealed record BulkPartsInput(int Count, int? Start, string? PartType, string? AuthorType, string? AuthorId, string? Body, string? Webhooks);
