using System.Globalization;
using System.Net;
using System.Text;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Zendesk;

namespace Ferry.Sandbox.Page;

/// <summary>
/// GET /: a server-rendered page for people: Zendesk tickets with comments, Intercom conversations. Everything HTML-encoded.
/// Each entry is an anchor (#ticket-{id}, #conversation-{id}): Ferry's status page links to them in sandbox mode.
/// </summary>
public static class SandboxPage
{
    public static void MapSandboxPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/", (ZendeskState zendesk, IntercomState intercom) => Results.Content(Render(zendesk, intercom), "text/html; charset=utf-8"));

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Render(ZendeskState zendesk, IntercomState intercom)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>Ferry sandbox</title>");
        html.Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}section{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}")
            .Append(".status{font-weight:bold;text-transform:uppercase}.comment{border-left:3px solid #88a;padding-left:.7rem;margin:.6rem 0}.private{border-color:#d90;background:#fff8e6}")
            .Append("pre{white-space:pre-wrap;margin:.2rem 0}.meta{color:#555;font-size:.9em}</style></head><body>");
        html.Append("<h1>Ferry sandbox</h1>");

        lock (zendesk.Gate)
        {
            var users = zendesk.Users().ToDictionary(u => u.Id);
            var tickets = zendesk.Tickets();
            html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"zendesk\">Zendesk tickets ({tickets.Count})</h2>");
            foreach (var t in tickets.OrderByDescending(t => t.UpdatedAt))
            {
                html.Append(CultureInfo.InvariantCulture, $"<section class=\"ticket\" id=\"ticket-{t.Id}\" data-ticket-id=\"{t.Id}\"><h3>#{t.Id} {E(t.Subject)} <span class=\"status\">{E(t.Status)}</span></h3>");
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"meta\">external_id {E(t.ExternalId)} · requester {E(users.GetValueOrDefault(t.RequesterId)?.Name)} · assignee {E(t.AssigneeId is { } a ? users.GetValueOrDefault(a)?.Name : "—")} · updated {Time(t.UpdatedAt)} · tags {E(string.Join(", ", t.Tags))}</div>");
                foreach (var c in t.Comments)
                {
                    var author = users.GetValueOrDefault(c.AuthorId);
                    html.Append(CultureInfo.InvariantCulture, $"<div class=\"comment{(c.Public ? "" : " private")}\"><div class=\"meta\"><span class=\"author\">{E(author?.Name ?? c.AuthorId.ToString(CultureInfo.InvariantCulture))}</span> · {Time(c.CreatedAt)} · {(c.Public ? "public" : "internal note")}</div><pre>{E(c.Body)}</pre>");
                    foreach (var att in c.Attachments)
                    {
                        html.Append(CultureInfo.InvariantCulture, $"<div class=\"attachment\">📎 {E(att.FileName)} ({att.Size.ToString(CultureInfo.InvariantCulture)} bytes, {E(att.ContentType)})</div>");
                    }

                    html.Append("</div>");
                }

                html.Append("</section>");
            }
        }

        lock (intercom.Gate)
        {
            var conversations = intercom.Conversations();
            html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"intercom\">Intercom conversations ({conversations.Count})</h2>");
            foreach (var c in conversations.OrderByDescending(c => c.UpdatedAt).Take(200))
            {
                html.Append(CultureInfo.InvariantCulture, $"<section class=\"conversation\" id=\"conversation-{E(c.Id)}\" data-conversation-id=\"{E(c.Id)}\"><h3>{E(c.Id)} {E(c.Title)} <span class=\"status\">{E(c.State)}</span></h3>");
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"meta\">from {E(c.SourceAuthor.Name ?? c.SourceAuthor.Email ?? c.SourceAuthor.Id)} ({E(c.SourceAuthor.Type)}) · {c.Parts.Count.ToString(CultureInfo.InvariantCulture)} parts · updated {Time(DateTimeOffset.FromUnixTimeSeconds(c.UpdatedAt))}</div>");
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"comment\"><pre>{E(c.SourceBody)}</pre></div>");
                foreach (var p in c.Parts.TakeLast(20))
                {
                    html.Append(CultureInfo.InvariantCulture, $"<div class=\"comment{(p.PartType == "note" ? " private" : "")}\"><div class=\"meta\">{E(p.PartType)} · {E(p.Author.Name ?? p.Author.Id)} ({E(p.Author.Type)}) · {Time(DateTimeOffset.FromUnixTimeSeconds(p.CreatedAt))}</div>{(p.Body is null ? "" : $"<pre>{E(p.Body)}</pre>")}</div>");
                }

                html.Append("</section>");
            }
        }

        html.Append("</body></html>");
        return html.ToString();
    }
}
