using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;
using Ferry.Sandbox.Webhooks;

namespace Ferry.Sandbox.Intercom;

/// <summary>The Intercom 2.16 API subset Ferry uses, under /intercom (vendor paths after the prefix).</summary>
public static class IntercomEndpoints
{
    public static void MapIntercom(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/intercom")
            .AddVendorFilters<IntercomAuthFilter, IntercomRateLimitFilter>("intercom");

        api.MapGet("/conversations/{id}", GetConversation);
        api.MapDelete("/conversations/{id}", DeleteConversation);
        api.MapGet("/conversations", ListConversations);
        api.MapPost("/conversations/search", SearchConversations);
        api.MapPost("/conversations", CreateConversation);
        api.MapPost("/conversations/{id}/reply", Reply);
        api.MapPost("/conversations/{id}/parts", ManageConversation);
        api.MapGet("/contacts/{id}", GetContact);
        api.MapPost("/contacts/merge", MergeContacts);
        api.MapDelete("/contacts/{id}", (string id, IntercomState s) => s.DeleteContact(id) is { } c
            ? SandboxJson.Result(new { type = "contact", id = c.Id, external_id = c.ExternalId, deleted = true })
            : VendorErrors.IntercomNotFound());
        api.MapGet("/contacts", (IntercomState s, IntercomRenderer r) => SandboxJson.Result(new
        {
            type = "list",
            data = s.Contacts().Select(r.Contact).ToList(),
            total_count = s.Contacts().Count,
            pages = new { type = "pages", page = 1, per_page = 50, total_pages = 1 },
        }));
        api.MapGet("/admins", (IntercomState s) => SandboxJson.Result(new { type = "admin.list", admins = s.Admins().Select(IntercomRenderer.Admin).ToList() }));
        api.MapGet("/admins/{id}", (string id, IntercomState s) =>
            s.Admin(id) is { } a ? SandboxJson.Result(IntercomRenderer.Admin(a)) : VendorErrors.IntercomNotFound());
        api.MapGet("/teams", (IntercomState s) => SandboxJson.Result(new
        {
            type = "team.list",
            teams = s.Teams().Select(t => new { type = "team", id = t.Id, name = t.Name, admin_ids = t.AdminIds }).ToList(),
        }));
        api.MapGet("/tags", (IntercomState s) => SandboxJson.Result(new
        {
            type = "list",
            data = s.Tags().Select(t => new { type = "tag", id = t.Id, name = t.Name }).ToList(),
        }));

        // Attachment downloads: pre-signed, no bearer token, bytes generated on the fly.
        app.MapGet("/intercom-attachments/{seed:long}/{size:long}/{name}", DownloadAttachment);
    }

    public static string Root(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}";

    private static IResult GetConversation(string id, HttpRequest request, IntercomState state, IntercomRenderer renderer)
    {
        lock (state.Gate)
        {
            return state.Conversation(id) is { } c ? SandboxJson.Result(renderer.Conversation(c, Root(request))) : VendorErrors.IntercomNotFound();
        }
    }

    /// <summary>A contact merged away answers 410 Gone with its canonical contact in the <c>Link</c> header, as Intercom's reference says.</summary>
    private static IResult GetContact(string id, HttpResponse response, IntercomState state, IntercomRenderer renderer)
    {
        if (state.Contact(id) is { } contact)
        {
            return SandboxJson.Result(renderer.Contact(contact));
        }

        if (state.MergedInto(id) is not { } canonical)
        {
            return VendorErrors.IntercomNotFound();
        }

        response.Headers.Link = $"</contacts/{canonical}>; rel=\"canonical\"";
        return VendorErrors.Intercom(410, "contact_merged", "This contact has been merged. See the 'Link' header for the canonical contact.");
    }

    private static async Task<IResult> MergeContacts(HttpRequest request, IntercomState state, IntercomRenderer renderer, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return VendorErrors.IntercomBadRequest(error);
        }

        if (body!.Str("from") is not { } from || body.Str("into") is not { } into)
        {
            return VendorErrors.IntercomBadRequest("from and into are required.");
        }

        var (merged, status, refused) = state.MergeContact(from, into, body.Bool("skip_duplicate_validation") ?? false);
        return merged is not null ? SandboxJson.Result(renderer.Contact(merged))
            : VendorErrors.Intercom(status, status == 404 ? "not_found" : "invalid_merge", refused!);
    }

    /// <summary>Deletes for good and, as Intercom does, notifies <c>conversation.deleted</c>.</summary>
    private static IResult DeleteConversation(string id, IntercomState state, WebhookDispatcher webhooks)
    {
        if (!state.DeleteConversation(id))
        {
            return VendorErrors.IntercomNotFound();
        }

        webhooks.IntercomConversationDeleted(id);
        return SandboxJson.Result(new { id, @object = "conversation", deleted = true });
    }

    private static IResult ListConversations(HttpRequest request, IntercomState state, IntercomRenderer renderer, int? per_page, string? starting_after)
    {
        var perPage = per_page ?? 20;
        if (perPage is < 1 or > 150)
        {
            return VendorErrors.IntercomBadRequest("per_page must be between 1 and 150.");
        }

        return Page(request, state, renderer, _ => true, "updated_at", descending: true, perPage, starting_after);
    }

    private static async Task<IResult> SearchConversations(HttpRequest request, IntercomState state, IntercomRenderer renderer, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return VendorErrors.IntercomBadRequest(error);
        }

        if (body!["query"] is not JsonObject query)
        {
            return VendorErrors.IntercomBadRequest("query is required.");
        }

        Func<IcConversation, bool> predicate;
        try
        {
            predicate = SearchQuery.Compile(query);
        }
        catch (FormatException e)
        {
            return VendorErrors.IntercomBadRequest(e.Message);
        }

        var perPage = 20;
        string? startingAfter = null;
        if (body["pagination"] is JsonObject pagination)
        {
            perPage = (int)(pagination.Number("per_page") ?? 20);
            startingAfter = pagination.Str("starting_after");
        }

        if (perPage is < 1 or > 150)
        {
            return VendorErrors.IntercomBadRequest("pagination.per_page must be between 1 and 150.");
        }

        var sortField = "updated_at";
        var descending = false;
        if (body["sort"] is JsonObject sort)
        {
            sortField = sort.Str("field") ?? sortField;
            descending = sort.Str("order") is "descending" or "desc";
            if (sortField is not ("updated_at" or "created_at" or "id"))
            {
                return VendorErrors.IntercomBadRequest($"sort.field '{sortField}' is not supported by the sandbox (updated_at, created_at, id).");
            }
        }

        return Page(request, state, renderer, predicate, sortField, descending, perPage, startingAfter);
    }

    /// <summary>Keyset cursor pagination over (sort key, id); the cursor is opaque base64.</summary>
    private static IResult Page(HttpRequest request, IntercomState state, IntercomRenderer renderer, Func<IcConversation, bool> predicate,
        string sortField, bool descending, int perPage, string? startingAfter)
    {
        lock (state.Gate)
        {
            static (long, long) Key(IcConversation c, string field) =>
                (field switch { "created_at" => c.CreatedAt, "id" => long.Parse(c.Id, CultureInfo.InvariantCulture), _ => c.UpdatedAt }, long.Parse(c.Id, CultureInfo.InvariantCulture));

            var all = state.Conversations().Where(predicate).ToList();
            var ordered = (descending ? all.OrderByDescending(c => Key(c, sortField)) : all.OrderBy(c => Key(c, sortField))).ToList();
            var remaining = ordered;
            if (!string.IsNullOrEmpty(startingAfter))
            {
                (long, long) cursor;
                try
                {
                    var parts = Encoding.UTF8.GetString(Convert.FromBase64String(startingAfter)).Split(':');
                    cursor = (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
                }
                catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
                {
                    return VendorErrors.IntercomBadRequest("starting_after is not a cursor returned by this API.");
                }

                remaining = [.. ordered.Where(c => descending ? Key(c, sortField).CompareTo(cursor) < 0 : Key(c, sortField).CompareTo(cursor) > 0)];
            }

            var page = remaining.Take(perPage).ToList();
            var pageNumber = ((ordered.Count - remaining.Count) / perPage) + 1;
            var pages = new Dictionary<string, object?>
            {
                ["type"] = "pages",
                ["page"] = pageNumber,
                ["per_page"] = perPage,
                ["total_pages"] = Math.Max(1, (ordered.Count + perPage - 1) / perPage),
            };
            if (remaining.Count > perPage)
            {
                var (k, id) = Key(page[^1], sortField);
                pages["next"] = new { per_page = perPage, starting_after = Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{k}:{id}"))) };
            }

            return SandboxJson.Result(new
            {
                type = "conversation.list",
                conversations = page.Select(c => renderer.Conversation(c, Root(request), withParts: false)).ToList(),
                total_count = ordered.Count,
                pages,
            });
        }
    }

    private static async Task<IResult> CreateConversation(HttpRequest request, IntercomState state, IntercomRenderer renderer, WebhookDispatcher webhooks, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return VendorErrors.IntercomBadRequest(error);
        }

        if (body!["from"] is not JsonObject from || from.Str("id") is not { } contactId || body.Str("body") is not { } text)
        {
            return VendorErrors.IntercomBadRequest("from { type, id } and body are required.");
        }

        if (state.Contact(contactId) is not { } contact)
        {
            return VendorErrors.Intercom(404, "not_found", "User Not Found");
        }

        var conversation = state.CreateConversation(contact, body.Str("subject") ?? "", text);
        webhooks.IntercomConversation("conversation.user.created", conversation.Id);
        return SandboxJson.Result(new { type = "user_message", id = conversation.SourceId, created_at = conversation.CreatedAt, body = text, message_type = "inapp", conversation_id = conversation.Id });
    }

    private static async Task<IResult> Reply(string id, HttpRequest request, IntercomState state, IntercomRenderer renderer, WebhookDispatcher webhooks, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return VendorErrors.IntercomBadRequest(error);
        }

        var messageType = body!.Str("message_type");
        var type = body!.Str("type");
        if (messageType is not ("comment" or "note" or "quick_reply"))
        {
            return VendorErrors.IntercomBadRequest("message_type must be comment or note.");
        }

        if (state.Conversation(id) is null)
        {
            return VendorErrors.IntercomNotFound();
        }

        IcAuthor author;
        if (type == "admin")
        {
            if (body!.Str("admin_id") is not { } adminId || state.Admin(adminId) is not { } admin)
            {
                return VendorErrors.IntercomBadRequest("admin_id must name an existing admin.");
            }

            author = IntercomState.AuthorFor(admin);
        }
        else if (type == "user")
        {
            if (messageType != "comment")
            {
                return VendorErrors.IntercomBadRequest("Contacts can only reply with message_type comment.");
            }

            var contact = (body.Str("intercom_user_id") ?? body.Str("user_id")) is { } contactId ? state.Contact(contactId)
                : body.Str("email") is { } email ? state.Contacts().FirstOrDefault(c => string.Equals(c.Email, email, StringComparison.OrdinalIgnoreCase))
                : null;
            if (contact is null)
            {
                return VendorErrors.Intercom(404, "not_found", "User Not Found");
            }

            author = state.AuthorFor(contact);
        }
        else
        {
            return VendorErrors.IntercomBadRequest("type must be admin or user.");
        }

        var text = body.Str("body");
        if (string.IsNullOrWhiteSpace(text))
        {
            return VendorErrors.IntercomBadRequest("body is required.");
        }

        var (files, filesError) = AttachmentFiles(body, state);
        if (filesError is not null)
        {
            return VendorErrors.IntercomBadRequest(filesError);
        }

        // created_at may be set (an admin reply keeping another tool's time); the part is still the newest in the list.
        state.AddPart(id, messageType == "note" ? "note" : "comment", author, text, files, at: body.Number("created_at"));
        var topic = messageType == "note" ? "conversation.admin.noted" : type == "admin" ? "conversation.admin.replied" : "conversation.user.replied";
        webhooks.IntercomConversation(topic, id);
        return GetConversation(id, request, state, renderer);
    }

    /// <summary>
    /// A reply's files: <c>attachment_files</c> (≤ 10 objects { content_type, data: base64, name }, the count checked by
    /// the schema) are decoded and kept. <c>attachment_urls</c> are links Intercom fetches itself, which the sandbox
    /// cannot do: refused with a reason rather than dropped; with files present they are ignored, as documented.
    /// </summary>
    private static (List<IcAttachment> Files, string? Error) AttachmentFiles(JsonObject body, IntercomState state)
    {
        var files = new List<IcAttachment>();
        if (body["attachment_files"] is not JsonArray items)
        {
            return (files, body["attachment_urls"] is JsonArray { Count: > 0 } ? "The sandbox does not fetch attachment_urls; send the files as attachment_files." : null);
        }

        foreach (var item in items)
        {
            if (item is not JsonObject file || file.Str("name") is not { Length: > 0 } name || file.Str("data") is not { } data)
            {
                return (files, "Each of attachment_files needs a name and its data (base64).");
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(data);
            }
            catch (FormatException)
            {
                return (files, $"attachment_files: the data of {name} is not valid base64.");
            }

            files.Add(state.StoreFile(name, file.Str("content_type") is { Length: > 0 } type ? type : "application/octet-stream", bytes));
        }

        return (files, null);
    }

    /// <summary>POST /conversations/{id}/parts: close, open, snoozed, assignment.</summary>
    private static async Task<IResult> ManageConversation(string id, HttpRequest request, IntercomState state, IntercomRenderer renderer, WebhookDispatcher webhooks, SandboxClock clock, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null)
        {
            return VendorErrors.IntercomBadRequest(error);
        }

        var messageType = body!.Str("message_type");
        if (messageType is not ("close" or "open" or "snoozed" or "assignment"))
        {
            return VendorErrors.IntercomBadRequest("message_type must be one of close, open, snoozed, assignment.");
        }

        if (body!.Str("admin_id") is not { } adminId || state.Admin(adminId) is not { } admin)
        {
            return VendorErrors.IntercomBadRequest("admin_id must name an existing admin.");
        }

        if (messageType is "close" or "assignment" && body.Str("type") != "admin")
        {
            return VendorErrors.IntercomBadRequest("type must be admin.");
        }

        if (state.Conversation(id) is not { } conversation)
        {
            return VendorErrors.IntercomNotFound();
        }

        string topic;
        switch (messageType)
        {
            case "close":
                state.AddPart(id, "close", IntercomState.AuthorFor(admin), body.Str("body"));
                topic = "conversation.admin.closed";
                break;
            case "open":
                state.AddPart(id, "open", IntercomState.AuthorFor(admin), null);
                topic = "conversation.admin.opened";
                break;
            case "snoozed":
                if (body.Number("snoozed_until") is not { } until || until <= clock.UnixNow)
                {
                    return VendorErrors.IntercomBadRequest("snoozed_until must be a future unix timestamp.");
                }

                state.AddPart(id, "snoozed", IntercomState.AuthorFor(admin), null, snoozedUntil: until);
                topic = "conversation.admin.snoozed";
                break;
            default:
                var assigneeId = body.Str("assignee_id");
                IcAuthor? assignee = assigneeId is null ? null
                    : state.Admin(assigneeId) is { } a ? IntercomState.AuthorFor(a)
                    : state.Teams().FirstOrDefault(t => t.Id == assigneeId) is { } team ? new IcAuthor("team", team.Id, team.Name, null)
                    : null;
                if (assignee is null)
                {
                    return VendorErrors.IntercomBadRequest("assignee_id must name an existing admin or team.");
                }

                state.AddPart(id, "assignment", IntercomState.AuthorFor(admin), body.Str("body"), assignedTo: assignee);
                topic = "conversation.admin.assigned";
                break;
        }

        _ = conversation;
        webhooks.IntercomConversation(topic, id);
        return GetConversation(id, request, state, renderer);
    }

    private static async Task DownloadAttachment(HttpContext http, long seed, long size, string name, IntercomRenderer renderer, SandboxClock clock, FaultState faults, IntercomState state)
    {
        var query = http.Request.Query;
        var contentType = query["content_type"].ToString();
        var path = IntercomRenderer.AttachmentPath(new IcAttachment(name, contentType, size, seed));
        if (!long.TryParse(query["expires"], CultureInfo.InvariantCulture, out var expires)
            || !renderer.Verify(path, contentType, expires, query["signature"].ToString()))
        {
            http.Response.StatusCode = 403;
            await http.Response.WriteAsync("<Error><Code>SignatureDoesNotMatch</Code></Error>", http.RequestAborted);
            return;
        }

        if (expires <= clock.UnixNow)
        {
            http.Response.StatusCode = 403;
            await http.Response.WriteAsync("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.RequestAborted);
            return;
        }

        var f = faults.Current;
        if (f.AppliesTo("intercom", http.Request) && f.TakeFailFirst())
        {
            http.Response.StatusCode = f.ErrorStatus;
            await http.Response.WriteAsync("<Error><Code>InjectedFault</Code></Error>", http.RequestAborted);
            return;
        }

        http.Response.ContentType = string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType;
        http.Response.ContentLength = size;
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name.Replace("\"", "", StringComparison.Ordinal)}\"";
        if (f.AppliesTo("intercom", http.Request) && FaultState.Roll(f.DropRate))
        {
            await AttachmentContent.WriteAsync(http.Response.Body, seed, size / 2, f.SlowDownloadBytesPerSecond, http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            http.Abort();
            return;
        }

        if (state.StoredFile(seed) is { } stored)
        {
            await http.Response.Body.WriteAsync(stored.AsMemory(0, (int)Math.Min(size, stored.Length)), http.RequestAborted);
            return;
        }

        await AttachmentContent.WriteAsync(http.Response.Body, seed, size, f.SlowDownloadBytesPerSecond, http.RequestAborted);
    }
}
