using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;
using Ferry.Sandbox.Webhooks;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Sandbox.Zendesk;

/// <summary>The Zendesk Support API subset Ferry uses, under /zendesk (vendor paths after the prefix).</summary>
public static class ZendeskEndpoints
{
    public static void MapZendesk(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/zendesk")
            .AddEndpointFilter(async (context, next) =>
            {
                // Zendesk's job queue works in the background: a queued job released meanwhile has run by the next request.
                context.HttpContext.RequestServices.GetRequiredService<ZendeskState>().RunReleasedJobs();
                return await next(context);
            })
            .AddVendorFilters<ZendeskAuthFilter, ZendeskRateLimitFilter>("zendesk");

        // Users
        api.MapPost("/api/v2/users/create_or_update", CreateOrUpdateUser);
        api.MapPost("/api/v2/users", CreateUser);
        api.MapPost("/api/v2/users/create_or_update_many", CreateOrUpdateMany);
        api.MapZendeskBulkUsers();
        api.MapGet("/api/v2/users/search", SearchUsers);
        api.MapGet("/api/v2/users", ListUsers);
        api.MapGet("/api/v2/users/me", GetCurrentUser);
        api.MapGet("/api/v2/users/{id:long}", GetUser);
        api.MapDelete("/api/v2/users/{id:long}", DeleteUser);
        api.MapGet("/api/v2/users/{id:long}/identities", ListIdentities);
        api.MapPost("/api/v2/users/{id:long}/identities", AddIdentity);

        // Tickets
        api.MapPost("/api/v2/imports/tickets", ImportTicket);
        api.MapPost("/api/v2/imports/tickets/create_many", ImportMany);
        api.MapPost("/api/v2/tickets", CreateTicket);
        api.MapGet("/api/v2/tickets", ListTickets);
        api.MapGet("/api/v2/tickets/show_many", ShowMany);
        api.MapGet("/api/v2/tickets/{id:long}", GetTicket);
        api.MapPut("/api/v2/tickets/{id:long}", UpdateTicket);
        api.MapDelete("/api/v2/tickets/{id:long}", (long id, ZendeskState s) => s.DeleteTicket(id) ? Results.NoContent() : VendorErrors.ZendeskNotFound());
        api.MapPut("/api/v2/deleted_tickets/{id:long}/restore", (long id, ZendeskState s) => s.RestoreTicket(id) ? Results.Ok() : VendorErrors.ZendeskNotFound());
        api.MapPut("/api/v2/tickets/update_many", UpdateMany);
        api.MapGet("/api/v2/tickets/{id:long}/comments", ListComments);
        api.MapGet("/api/v2/job_statuses/{id}", GetJob);
        api.MapGet("/api/v2/groups", (ZendeskState s, HttpRequest r) => SandboxJson.Result(ZendeskJson.Page("groups", s.Groups(), g => new { id = g.Id, name = g.Name, url = $"{Base(r)}/api/v2/groups/{g.Id}.json", deleted = false, @default = g.Id == 360001 }, r)));
        api.MapGet("/api/v2/ticket_fields", (ZendeskState s, HttpRequest r) => SandboxJson.Result(new
        {
            ticket_fields = s.TicketFields().Select(f => new
            {
                id = f.Id,
                url = $"{Base(r)}/api/v2/ticket_fields/{f.Id}.json",
                type = f.Type,
                title = f.Title,
                raw_title = f.Title,
                active = true,
                required = false,
                removable = f.Id >= 360200,
                custom_field_options = f.Options?.Select((o, i) => new { id = f.Id * 10 + i, name = o, raw_name = o, value = o }),
            }),
            next_page = (string?)null,
            previous_page = (string?)null,
            count = s.TicketFields().Count,
        }));

        // Uploads and attachments
        api.MapPost("/api/v2/uploads", Upload);
        api.MapDelete("/api/v2/uploads/{token}", (string token, ZendeskState s) => s.DeleteUpload(token) ? Results.NoContent() : VendorErrors.ZendeskNotFound());
        api.MapGet("/api/v2/attachments/{id:long}", (long id, ZendeskState s, HttpRequest r) =>
            s.Attachment(id) is { } a ? SandboxJson.Result(new { attachment = ZendeskJson.Attachment(a, Base(r)) }) : VendorErrors.ZendeskNotFound());

        // Attachment content: like Zendesk's content_url, reachable without the API credentials.
        app.MapGet("/zendesk/attachments/token/{token}", DownloadAttachment);
    }

    /// <summary>The account base URL (…/zendesk) as seen by the caller.</summary>
    public static string Base(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}/zendesk";

    private static async Task<IResult> CreateOrUpdateUser(HttpRequest request, ZendeskState state, CancellationToken ct)
    {
        var (user, error) = await ReadWrapped(request, "user", ct);
        if (error is not null)
        {
            return error;
        }

        var result = state.CreateOrUpdateUser(user!);
        return result.Error ?? SandboxJson.Result(new { user = ZendeskJson.User(result.Value.User, Base(request)) }, result.Value.Created ? 201 : 200);
    }

    private static async Task<IResult> CreateUser(HttpRequest request, ZendeskState state, CancellationToken ct)
    {
        var (user, error) = await ReadWrapped(request, "user", ct);
        if (error is not null)
        {
            return error;
        }

        var result = state.CreateOrUpdateUser(user!, createOnly: true);
        return result.Error ?? SandboxJson.Result(new { user = ZendeskJson.User(result.Value.User, Base(request)) }, 201);
    }

    private static async Task<IResult> CreateOrUpdateMany(HttpRequest request, ZendeskState state, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null || body!["users"] is not JsonArray users)
        {
            return VendorErrors.ZendeskBadRequest(error ?? "The body must be {\"users\": [ … ]}.");
        }

        if (users.Count > 100)
        {
            return VendorErrors.ZendeskBadRequest("At most 100 users per request.");
        }

        var results = new List<Dictionary<string, object?>>();
        foreach (var (node, index) in users.Select((n, i) => (n, i)))
        {
            var r = node is JsonObject u ? state.CreateOrUpdateUser(u) : Outcome<(ZdUser User, bool Created)>.Fail(VendorErrors.ZendeskBadRequest("not an object"));
            results.Add(r.Error is null
                ? new() { ["index"] = index, ["id"] = r.Value.User.Id, ["status"] = r.Value.Created ? "Created" : "Updated", ["success"] = true }
                : new() { ["index"] = index, ["id"] = 0L, ["action"] = "create_or_update", ["status"] = "Failed", ["success"] = false, ["error"] = "InvalidValue", ["details"] = "The user was rejected; send it alone to see the reason." });
        }

        return SandboxJson.Result(ZendeskJson.Job(state.AddJob("bulk_create_or_update_users", results), Base(request)));
    }

    private static IResult SearchUsers(HttpRequest request, ZendeskState state, string? query, string? external_id)
    {
        if (string.IsNullOrWhiteSpace(query) && string.IsNullOrWhiteSpace(external_id))
        {
            return VendorErrors.ZendeskBadRequest("Supply query or external_id.");
        }

        var users = state.SearchUsers(query, external_id);
        return SandboxJson.Result(ZendeskJson.Page("users", users, u => ZendeskJson.User(u, Base(request)), request));
    }

    private static IResult ListUsers(HttpRequest request, ZendeskState state)
    {
        var roles = request.Query["role"].Concat(request.Query["role[]"]).OfType<string>().ToList();
        return SandboxJson.Result(ZendeskJson.Page("users", state.ListUsers(roles), u => ZendeskJson.User(u, Base(request)), request));
    }

    private static IResult GetCurrentUser(HttpRequest request, ZendeskState state) =>
        SandboxJson.Result(new { user = ZendeskJson.User(state.ApiUser(), Base(request)) });

    private static IResult GetUser(long id, HttpRequest request, ZendeskState state) =>
        state.User(id) is { } user ? SandboxJson.Result(new { user = ZendeskJson.User(user, Base(request)) }) : VendorErrors.ZendeskNotFound();

    private static IResult DeleteUser(long id, HttpRequest request, ZendeskState state) =>
        state.DeleteUser(id) ? GetUser(id, request, state) : VendorErrors.ZendeskNotFound();

    private static IResult ListIdentities(long id, HttpRequest request, ZendeskState state)
    {
        if (state.User(id) is not { } user)
        {
            return VendorErrors.ZendeskNotFound();
        }

        List<ZdIdentity> identities;
        lock (state.Gate)
        {
            identities = [.. user.Identities];
        }

        return SandboxJson.Result(ZendeskJson.Page("identities", identities, i => ZendeskJson.Identity(i, Base(request)), request));
    }

    private static async Task<IResult> AddIdentity(long id, HttpRequest request, ZendeskState state, CancellationToken ct)
    {
        var (identity, error) = await ReadWrapped(request, "identity", ct);
        if (error is not null)
        {
            return error;
        }

        if (identity!.Str("type") is not { } type || identity!.Str("value") is not { } value)
        {
            return VendorErrors.ZendeskBadRequest("identity.type and identity.value are required.");
        }

        var result = state.AddIdentity(id, type, value);
        return result.Error ?? SandboxJson.Result(new { identity = ZendeskJson.Identity(result.Value!, Base(request)) }, 201);
    }

    private static Task<IResult> ImportTicket(HttpRequest request, ZendeskState state, CancellationToken ct, bool archive_immediately = false) =>
        CreateWithIdempotency(request, state, ticket =>
        {
            var r = state.ImportTicket(ticket, archive_immediately);
            return r.Error is not null ? (r.Error, null) : (null, r.Value);
        }, ct);

    private static Task<IResult> CreateTicket(HttpRequest request, ZendeskState state, CancellationToken ct) =>
        CreateWithIdempotency(request, state, ticket =>
        {
            var r = state.CreateTicket(ticket);
            return r.Error is not null ? (r.Error, null) : (null, r.Value);
        }, ct);

    private static async Task<IResult> CreateWithIdempotency(HttpRequest request, ZendeskState state, Func<JsonObject, (IResult? Error, ZdTicket? Ticket)> create, CancellationToken ct)
    {
        var (body, error, raw) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return VendorErrors.ZendeskBadRequest(error);
        }

        if (body!["ticket"] is not JsonObject ticket)
        {
            return VendorErrors.ZendeskBadRequest("The body must be {\"ticket\": { … }}.");
        }

        var b = Base(request);
        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0)
        {
            var (failure, created) = create(ticket);
            return failure ?? SandboxJson.Result(new { ticket = ZendeskJson.Ticket(created!, b), audit = new { id = created!.Id + 100000, ticket_id = created.Id } }, 201);
        }

        IResult? failureResult = null;
        var hash = SandboxJson.Sha256Hex(request.Path + "\n" + NormalizeJson(raw));
        var (status, json, replayed) = state.Idempotent(key, hash, () =>
        {
            var (failure, created) = create(ticket);
            if (failure is not null)
            {
                failureResult = failure;
                return (-1, "");
            }

            return (201, JsonSerializer.Serialize(new { ticket = ZendeskJson.Ticket(created!, b), audit = new { id = created!.Id + 100000, ticket_id = created.Id } }, SandboxJson.Options));
        });
        if (failureResult is not null)
        {
            return failureResult;
        }

        request.HttpContext.Response.Headers["x-idempotency-lookup"] = replayed ? "hit" : "miss";
        return Results.Content(json, "application/json; charset=utf-8", statusCode: status);
    }

    private static string NormalizeJson(string raw) => JsonNode.Parse(raw)?.ToJsonString() ?? raw;

    private static async Task<IResult> ImportMany(HttpRequest request, ZendeskState state, CancellationToken ct, bool archive_immediately = false)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null || body!["tickets"] is not JsonArray tickets)
        {
            return VendorErrors.ZendeskBadRequest(error ?? "The body must be {\"tickets\": [ … ]}.");
        }

        if (tickets.Count is 0 or > 100)
        {
            return VendorErrors.ZendeskBadRequest("Between 1 and 100 tickets per request.");
        }

        var job = state.AddJob("bulk_import_tickets", tickets.Count, () =>
        {
            var results = new List<Dictionary<string, object?>>();
            foreach (var (node, index) in tickets.Select((n, i) => (n, i)))
            {
                var r = node is JsonObject t ? state.ImportTicket(t, archive_immediately) : Outcome<ZdTicket>.Fail(VendorErrors.ZendeskBadRequest("not an object"));
                results.Add(r.Error is null
                    ? new() { ["index"] = index, ["id"] = r.Value!.Id, ["external_id"] = r.Value.ExternalId, ["status"] = "Created", ["success"] = true }
                    : new() { ["index"] = index, ["id"] = 0L, ["action"] = "import", ["status"] = "Failed", ["success"] = false, ["error"] = "RecordInvalid", ["details"] = "The ticket was rejected; import it alone to see the reason." });
            }

            return results;
        });
        return SandboxJson.Result(ZendeskJson.Job(job, Base(request)));
    }

    private static IResult GetJob(string id, HttpRequest request, ZendeskState state, SandboxOptions options) =>
        state.PollJob(id, [.. options.Zendesk.StallJobTypes]) is { } job ? SandboxJson.Result(ZendeskJson.Job(job, Base(request))) : VendorErrors.ZendeskNotFound();

    private static IResult ListTickets(HttpRequest request, ZendeskState state, string? external_id)
    {
        var tickets = external_id is null ? state.Tickets() : state.TicketsByExternalId(external_id);
        lock (state.Gate)
        {
            return SandboxJson.Result(ZendeskJson.Page("tickets", tickets, t => ZendeskJson.Ticket(t, Base(request)), request));
        }
    }

    private static IResult ShowMany(HttpRequest request, ZendeskState state, string? ids)
    {
        var wanted = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : -1).ToHashSet();
        var tickets = state.Tickets().Where(t => wanted.Contains(t.Id)).ToList();
        lock (state.Gate)
        {
            return SandboxJson.Result(ZendeskJson.Page("tickets", tickets, t => ZendeskJson.Ticket(t, Base(request)), request));
        }
    }

    private static IResult GetTicket(long id, HttpRequest request, ZendeskState state)
    {
        lock (state.Gate)
        {
            return state.Ticket(id) is { } ticket ? SandboxJson.Result(new { ticket = ZendeskJson.Ticket(ticket, Base(request)) }) : VendorErrors.ZendeskNotFound();
        }
    }

    private static IResult ListComments(long id, HttpRequest request, ZendeskState state)
    {
        lock (state.Gate)
        {
            if (state.Ticket(id) is not { } ticket)
            {
                return VendorErrors.ZendeskNotFound();
            }

            // sort_order=desc pages from the newest comment, as Zendesk does (asc, the default, from the oldest).
            IReadOnlyList<ZdComment> ordered = string.Equals(request.Query["sort_order"], "desc", StringComparison.OrdinalIgnoreCase)
                ? [.. Enumerable.Reverse(ticket.Comments)]
                : ticket.Comments;
            var page = ZendeskJson.Page("comments", ordered, c => ZendeskJson.Comment(c, Base(request)), request, out var shown);
            if (ZendeskJson.Includes(request, "users"))
            {
                // Side-loaded: the authors of the comments on this page, as Zendesk adds them for ?include=users.
                page["users"] = shown.Select(c => c.AuthorId).Distinct().Select(state.User).OfType<ZdUser>().Select(u => ZendeskJson.User(u, Base(request))).ToList();
            }

            return SandboxJson.Result(page);
        }
    }

    private static async Task<IResult> UpdateTicket(long id, HttpRequest request, ZendeskState state, WebhookDispatcher webhooks, RequesterNotifications notifications, CancellationToken ct)
    {
        var (ticket, error) = await ReadWrapped(request, "ticket", ct);
        if (error is not null)
        {
            return error;
        }

        var result = state.UpdateTicket(id, ticket!);
        if (result.Error is not null)
        {
            return result.Error;
        }

        var (updated, oldStatus) = result.Value;
        lock (state.Gate)
        {
            if (oldStatus is not null)
            {
                webhooks.ZendeskStatusChanged(updated);
            }

            // As Zendesk does: the audit lists what the update changed, a new comment with its id.
            var events = new List<object>();
            if (ticket!["comment"] is not null && updated.Comments.Count > 0)
            {
                var comment = updated.Comments[^1];
                events.Add(new { id = comment.Id, type = "Comment", body = comment.Body });
                notifications.OnUpdate(updated, comment);
            }

            if (oldStatus is not null)
            {
                events.Add(new { id = updated.Id + 300000, type = "Change", field_name = "status", value = updated.Status });
            }

            return SandboxJson.Result(new
            {
                ticket = ZendeskJson.Ticket(updated, Base(request)),
                audit = new { id = updated.Id + 200000, ticket_id = updated.Id, created_at = SandboxJson.Iso(updated.UpdatedAt), events },
            });
        }
    }

    private static async Task<IResult> UpdateMany(HttpRequest request, ZendeskState state, WebhookDispatcher webhooks, string? ids, CancellationToken ct)
    {
        var (ticket, error) = await ReadWrapped(request, "ticket", ct);
        if (error is not null)
        {
            return error;
        }

        var results = new List<Dictionary<string, object?>>();
        foreach (var idText in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(idText, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                return VendorErrors.ZendeskBadRequest($"ids: '{idText}' is not a ticket id.");
            }

            var r = state.UpdateTicket(id, (JsonObject)ticket!.DeepClone());
            if (r.Error is null && r.Value.OldStatus is not null)
            {
                lock (state.Gate)
                {
                    webhooks.ZendeskStatusChanged(r.Value.Ticket);
                }
            }

            results.Add(r.Error is null
                ? new() { ["id"] = id, ["action"] = "update", ["status"] = "Updated", ["success"] = true }
                : new() { ["id"] = id, ["action"] = "update", ["status"] = "Failed", ["success"] = false, ["error"] = "RecordInvalid", ["details"] = "The update was rejected; update the ticket alone to see the reason." });
        }

        return SandboxJson.Result(ZendeskJson.Job(state.AddJob("bulk_update", results), Base(request)));
    }

    /// <summary>Raw body streamed: bytes counted and hashed while read, kept only when small.</summary>
    private static async Task<IResult> Upload(HttpContext http, ZendeskState state, SandboxOptions options, string? filename, string? token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(filename))
        {
            return VendorErrors.ZendeskBadRequest("The filename query parameter is required.");
        }

        var limit = options.Zendesk.MaxUploadBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // Our own count below answers 413 in Zendesk's shape; Kestrel's limit is only a backstop.
            size.MaxRequestBodySize = limit + (1024 * 1024);
        }

        if (http.Request.ContentLength > limit)
        {
            return VendorErrors.Zendesk(413, "RequestEntityTooLarge", $"Uploads are limited to {limit} bytes.");
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var keep = options.Zendesk.KeepUploadBytesUpTo;
        var kept = new MemoryStream();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total > limit)
            {
                return VendorErrors.Zendesk(413, "RequestEntityTooLarge", $"Uploads are limited to {limit} bytes.");
            }

            sha.AppendData(buffer, 0, read);
            if (total <= keep)
            {
                kept.Write(buffer, 0, read);
            }
        }

        var contentType = string.IsNullOrEmpty(http.Request.ContentType) ? "application/binary" : http.Request.ContentType;
        var result = state.AddUpload(token, filename, contentType, total, SandboxJson.Hex(sha.GetHashAndReset()), total <= keep ? kept.ToArray() : null);
        if (result.Error is not null)
        {
            return result.Error;
        }

        var b = Base(http.Request);
        var (upload, attachment) = result.Value;
        lock (state.Gate)
        {
            return SandboxJson.Result(new
            {
                upload = new
                {
                    token = upload.Token,
                    expires_at = SandboxJson.Iso(upload.ExpiresAt),
                    attachment = ZendeskJson.Attachment(attachment, b),
                    attachments = upload.Attachments.Select(a => ZendeskJson.Attachment(a, b)).ToList(),
                },
            }, 201);
        }
    }

    private static IResult DownloadAttachment(string token, ZendeskState state)
    {
        if (state.AttachmentByToken(token) is not { } attachment)
        {
            return Results.NotFound();
        }

        return attachment.Content is { } bytes
            ? Results.File(bytes, attachment.ContentType, attachment.FileName)
            : Results.Problem($"The sandbox kept only the size ({attachment.Size}) and SHA-256 ({attachment.Sha256}) of this large upload.", statusCode: 410);
    }

    private static async Task<(JsonObject? Inner, IResult? Error)> ReadWrapped(HttpRequest request, string wrapper, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return (null, VendorErrors.ZendeskBadRequest(error));
        }

        return body![wrapper] is JsonObject inner
            ? (inner, null)
            : (null, VendorErrors.ZendeskBadRequest($"The body must be {{\"{wrapper}\": {{ … }}}}."));
    }
}
