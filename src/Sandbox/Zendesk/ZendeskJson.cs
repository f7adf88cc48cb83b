using Ferry.Sandbox.Common;

namespace Ferry.Sandbox.Zendesk;

/// <summary>Renders the account's records in Zendesk's JSON shapes. <c>b</c> is the account base (…/zendesk).</summary>
public static class ZendeskJson
{
    public static object User(ZdUser u, string b) => new
    {
        id = u.Id,
        url = $"{b}/api/v2/users/{u.Id}.json",
        name = u.Name,
        email = u.Email,
        external_id = u.ExternalId,
        role = u.Role,
        active = u.Active,
        verified = true,
        suspended = false,
        shared = false,
        moderator = u.Role != "end-user",
        phone = u.Phone,
        locale = "en-US",
        time_zone = "UTC",
        tags = u.Tags,
        user_fields = new Dictionary<string, object?>(),
        created_at = SandboxJson.Iso(u.CreatedAt),
        updated_at = SandboxJson.Iso(u.UpdatedAt),
    };

    public static object Identity(ZdIdentity i, string b) => new
    {
        id = i.Id,
        url = $"{b}/api/v2/users/{i.UserId}/identities/{i.Id}.json",
        user_id = i.UserId,
        type = i.Type,
        value = i.Value,
        verified = i.Verified,
        primary = i.Primary,
        created_at = SandboxJson.Iso(i.CreatedAt),
        updated_at = SandboxJson.Iso(i.CreatedAt),
    };

    public static object Ticket(ZdTicket t, string b) => new
    {
        id = t.Id,
        url = $"{b}/api/v2/tickets/{t.Id}.json",
        external_id = t.ExternalId,
        via = new
        {
            channel = t.Channel,
            source = t.FollowupSourceId is { } from
                ? new { from = new Dictionary<string, object?> { ["ticket_id"] = from, ["subject"] = null }, to = new Dictionary<string, object?>(), rel = "follow_up" }
                : (object)new { from = new Dictionary<string, object?>(), to = new Dictionary<string, object?>(), rel = (string?)null },
        },
        created_at = SandboxJson.Iso(t.CreatedAt),
        updated_at = SandboxJson.Iso(t.UpdatedAt),
        type = t.Type,
        subject = t.Subject,
        raw_subject = t.Subject,
        description = t.Comments.FirstOrDefault()?.Body ?? "",
        priority = t.Priority,
        status = t.Status,
        requester_id = t.RequesterId,
        submitter_id = t.SubmitterId,
        assignee_id = t.AssigneeId,
        group_id = t.GroupId,
        collaborator_ids = Array.Empty<long>(),
        follower_ids = Array.Empty<long>(),
        email_cc_ids = Array.Empty<long>(),
        followup_ids = t.FollowupIds,
        tags = t.Tags,
        custom_fields = t.CustomFields.Select(f => new { id = f.Id, value = f.Value }),
        fields = t.CustomFields.Select(f => new { id = f.Id, value = f.Value }),
        has_incidents = false,
        is_public = t.Comments.Count == 0 || t.Comments[0].Public,
        allow_attachments = true,
        allow_channelback = false,
        from_messaging_channel = false,
        brand_id = 360000001L,
    };

    public static object Comment(ZdComment c, string b) => new
    {
        id = c.Id,
        type = "Comment",
        author_id = c.AuthorId,
        body = c.Body,
        html_body = c.HtmlBody,
        plain_body = c.Body,
        @public = c.Public,
        attachments = c.Attachments.Select(a => Attachment(a, b)),
        audit_id = c.Id + 100000,
        via = new { channel = "api", source = new { from = new Dictionary<string, object?>(), to = new Dictionary<string, object?>(), rel = (string?)null } },
        created_at = SandboxJson.Iso(c.CreatedAt),
        metadata = new { system = new Dictionary<string, object?>(), custom = new Dictionary<string, object?>() },
    };

    public static object Attachment(ZdAttachment a, string b) => new
    {
        id = a.Id,
        url = $"{b}/api/v2/attachments/{a.Id}.json",
        file_name = a.FileName,
        content_url = ContentUrl(a, b),
        mapped_content_url = ContentUrl(a, b),
        content_type = a.ContentType,
        size = a.Size,
        inline = false,
        deleted = false,
        malware_access_override = false,
        malware_scan_result = "malware_not_found",
        thumbnails = Array.Empty<object>(),
    };

    public static string ContentUrl(ZdAttachment a, string b) =>
        $"{b}/attachments/token/{a.DownloadToken}/?name={Uri.EscapeDataString(a.FileName)}";

    public static object Job(ZdJobStatus j, string b) => new
    {
        job_status = new
        {
            id = j.Id,
            url = $"{b}/api/v2/job_statuses/{j.Id}.json",
            job_type = j.JobType,
            total = j.Total,
            progress = j.Status switch { "completed" => j.Total, "working" => j.Total / 2, _ => 0 },
            status = j.Status,
            message = j.Status switch { "completed" => "Completed", "working" => "Working", _ => null },
            results = j.Status == "completed" ? j.Results : null,
        },
    };

    public static Dictionary<string, object?> Page<T>(string name, IReadOnlyList<T> all, Func<T, object> render, HttpRequest request) =>
        Page(name, all, render, request, out _);

    /// <param name="shown">The items on the requested page (what a side-load describes).</param>
    public static Dictionary<string, object?> Page<T>(string name, IReadOnlyList<T> all, Func<T, object> render, HttpRequest request, out IReadOnlyList<T> shown)
    {
        var perPage = Math.Clamp(QueryInt(request, "per_page") ?? 100, 1, 100);
        var page = Math.Max(1, QueryInt(request, "page") ?? 1);
        shown = [.. all.Skip((page - 1) * perPage).Take(perPage)];
        var items = shown.Select(render).ToList();
        var path = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
        string? Link(int p) => $"{path}?{string.Join('&', request.Query.Where(q => q.Key is not ("page" or "per_page")).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"page={p}").Append($"per_page={perPage}"))}";
        return new Dictionary<string, object?>
        {
            [name] = items,
            ["next_page"] = page * perPage < all.Count ? Link(page + 1) : null,
            ["previous_page"] = page > 1 ? Link(page - 1) : null,
            ["count"] = all.Count,
        };
    }

    /// <summary>Whether <c>?include=</c> (a comma-separated list) names <paramref name="sideload"/>.</summary>
    public static bool Includes(HttpRequest request, string sideload) =>
        request.Query["include"].ToString().Split(',', StringSplitOptions.TrimEntries).Contains(sideload, StringComparer.Ordinal);

    private static int? QueryInt(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
}
