using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Intercom;

/// <summary>Renders the workspace in Intercom 2.16 JSON shapes and signs attachment URLs.</summary>
public sealed class IntercomRenderer(SandboxOptions options, SandboxClock clock)
{
    /// <summary>Call with the state's lock held. <paramref name="root"/> is the sandbox root URL (no trailing slash).</summary>
    public object Conversation(IcConversation c, string root, bool withParts = true)
    {
        var parts = c.Parts.Skip(Math.Max(0, c.Parts.Count - IntercomState.MaxPartsReturned)).Select(p => Part(p, root)).ToList();
        var result = new Dictionary<string, object?>
        {
            ["type"] = "conversation",
            ["id"] = c.Id,
            ["title"] = c.Title,
            ["created_at"] = c.CreatedAt,
            ["updated_at"] = c.UpdatedAt,
            ["waiting_since"] = c.WaitingSince,
            ["snoozed_until"] = c.SnoozedUntil,
            ["open"] = c.State != "closed",
            ["state"] = c.State,
            ["read"] = c.Read,
            ["priority"] = c.Priority,
            ["admin_assignee_id"] = c.AdminAssigneeId ?? 0,
            ["team_assignee_id"] = c.TeamAssigneeId ?? 0,
            ["tags"] = new { type = "tag.list", tags = c.Tags.Select(t => new { type = "tag", id = t.Id, name = t.Name }) },
            ["source"] = new Dictionary<string, object?>
            {
                ["type"] = "conversation",
                ["id"] = c.SourceId,
                ["delivered_as"] = c.DeliveredAs,
                ["subject"] = c.SourceSubject,
                ["body"] = c.SourceBody,
                ["author"] = Author(c.SourceAuthor),
                ["attachments"] = c.SourceAttachments.Select(a => Attachment(a, root)).ToList(),
                ["url"] = null,
                ["redacted"] = false,
            },
            ["contacts"] = new
            {
                type = "contact.list",
                contacts = c.ContactIds.Select(id => new { type = "contact", id }),
            },
            ["teammates"] = Teammates(c),
            ["custom_attributes"] = c.CustomAttributes,
            ["statistics"] = new { type = "conversation_statistics", count_reopens = c.Parts.Count(p => p.PartType == "open"), count_conversation_parts = c.Parts.Count + 1 },
        };
        if (withParts)
        {
            result["conversation_parts"] = new { type = "conversation_part.list", conversation_parts = parts, total_count = c.Parts.Count };
        }

        return result;
    }

    /// <summary>
    /// The admins who wrote a part. The OpenAPI names the list <c>teammates</c>; Intercom's official Node client
    /// declares it <c>admins</c> (required), and real answers carry that: both, so either reader works.
    /// </summary>
    private static object Teammates(IcConversation c)
    {
        var admins = c.Parts.Where(p => p.Author.Type == "admin").Select(p => p.Author.Id).Distinct().Select(id => new { type = "admin", id }).ToList();
        return new { type = "admin.list", teammates = admins, admins };
    }

    public object Part(IcPart p, string root)
    {
        var part = new Dictionary<string, object?>
        {
            ["type"] = "conversation_part",
            ["id"] = p.Id,
            ["part_type"] = p.PartType,
            ["body"] = p.Body,
            ["created_at"] = p.CreatedAt,
            ["updated_at"] = p.CreatedAt,
            ["notified_at"] = p.CreatedAt,
            ["author"] = Author(p.Author),
            ["attachments"] = p.Attachments.Select(a => Attachment(a, root)).ToList(),
            ["redacted"] = false,
        };
        if (p.AssignedTo is not null)
        {
            part["assigned_to"] = new { type = p.AssignedTo.Type, id = p.AssignedTo.Id };
        }

        return part;
    }

    public static object Author(IcAuthor a)
    {
        var author = new Dictionary<string, object?> { ["type"] = a.Type, ["id"] = a.Id, ["name"] = a.Name };
        if (a.Email is not null)
        {
            author["email"] = a.Email;
        }

        return author;
    }

    public object Attachment(IcAttachment a, string root) => new
    {
        type = "upload",
        name = a.Name,
        url = AttachmentUrl(a, root),
        content_type = a.ContentType,
        filesize = a.Size,
        width = a.Width,
        height = a.Height,
    };

    public object Contact(IcContact c) => new Dictionary<string, object?>
    {
        ["type"] = "contact",
        ["id"] = c.Id,
        ["workspace_id"] = options.Intercom.AppId,
        ["external_id"] = c.ExternalId,
        ["role"] = c.Role,
        ["email"] = c.Email ?? "",
        ["phone"] = c.Phone,
        ["name"] = c.Name,
        ["has_hard_bounced"] = c.HasHardBounced,
        ["marked_email_as_spam"] = c.MarkedEmailAsSpam,
        ["unsubscribed_from_emails"] = c.UnsubscribedFromEmails,
        ["created_at"] = c.CreatedAt,
        ["updated_at"] = c.UpdatedAt,
        ["custom_attributes"] = new Dictionary<string, object?>(),
        ["tags"] = new { type = "list", data = Array.Empty<object>(), url = $"/contacts/{c.Id}/tags", total_count = 0, has_more = false },
        ["notes"] = new { type = "list", data = Array.Empty<object>(), url = $"/contacts/{c.Id}/notes", total_count = 0, has_more = false },
        ["companies"] = new { type = "list", data = Array.Empty<object>(), url = $"/contacts/{c.Id}/companies", total_count = 0, has_more = false },
    };

    public static object Admin(IcAdmin a) => new
    {
        type = "admin",
        id = a.Id,
        name = a.Name,
        email = a.Email,
        job_title = "Support",
        away_mode_enabled = false,
        away_mode_reassign = false,
        has_inbox_seat = true,
        team_ids = a.TeamIds,
    };

    // ---- pre-signed attachment URLs ----

    public string AttachmentUrl(IcAttachment a, string root)
    {
        var expires = clock.UnixNow + (long)options.Intercom.AttachmentUrlLifetime.TotalSeconds;
        var path = AttachmentPath(a);
        return $"{root}/intercom-attachments/{path}?content_type={Uri.EscapeDataString(a.ContentType)}&expires={expires.ToString(CultureInfo.InvariantCulture)}&signature={Sign(path, a.ContentType, expires)}";
    }

    public static string AttachmentPath(IcAttachment a) =>
        string.Create(CultureInfo.InvariantCulture, $"{a.Seed}/{a.Size}/{Uri.EscapeDataString(a.Name)}");

    public bool Verify(string path, string contentType, long expires, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(path, contentType, expires)), Encoding.ASCII.GetBytes(signature));

    private string Sign(string path, string contentType, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(options.Intercom.AttachmentSigningKey),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{path}\n{contentType}\n{expires}"))));
}
