using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Ferry.V1;
using Google.Protobuf.WellKnownTypes;

namespace Ferry.Gateway.StatusPage;

/// <summary>What one rendering of the page shows. A service that could not be reached leaves its part null with the reason.</summary>
public sealed record StatusPageModel(
    SyncStatus? Status,
    string? StatusError,
    IReadOnlyList<ContactLink>? Conflicts,
    string? ConflictsError,
    string OperatorName,
    string? Notice,
    (string FieldName, string Token) Antiforgery,
    OperatorOptions Options,
    DateTimeOffset Now);

/// <summary>
/// The status page as server-rendered HTML: no script, an inline SVG chart, forms that POST with an
/// anti-forgery token. Every value (vendor-provided reasons included) goes through <see cref="HtmlEncoder"/>.
/// </summary>
public static class StatusPageView
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Css = """
            body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:80rem;color:#222}
            table{border-collapse:collapse;width:100%;margin:.4rem 0 1.2rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.92em}
            .figures{display:flex;gap:1rem;flex-wrap:wrap}.figure{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;min-width:9rem}.figure b{display:block;font-size:1.5em}
            .bad{color:#b00020}.ok{color:#0a7d2c}.paused{background:#fff3cd;border:1px solid #e0b000;padding:.5rem 1rem;border-radius:6px}
            form{display:inline}button{cursor:pointer}.reason{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
            .notice{background:#e8f0fe;padding:.5rem 1rem;border-radius:6px}header{display:flex;justify-content:space-between;align-items:center}
        """;

    public static string Render(StatusPageModel model)
    {
        var html = new StringBuilder();
        html.Append(Inv, $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"{model.Options.RefreshSeconds}\">")
            .Append("<title>Ferry status</title><style>").Append(Css).Append("</style></head><body>");
        html.Append(Inv, $"<header><h1>Ferry status</h1><div>{E(model.OperatorName)} · {Form("/operator/logout", model, "Sign out")}</div></header>");
        if (model.Notice is { } notice)
        {
            html.Append(Inv, $"<p class=\"notice\" id=\"notice\">{E(notice)}</p>");
        }

        if (model.Status is not { } status)
        {
            html.Append(Inv, $"<p class=\"bad\" id=\"status-error\">TicketService did not answer: {E(model.StatusError)}</p>");
        }
        else
        {
            Controls(html, status, model);
            Figures(html, status, model.Now);
            Vendors(html, status, model.Now);
            Chart(html, status, model.Now);
            DeadJobs(html, status, model);
            Dismissed(html, status, model);
            Failures(html, status, model);
            Findings(html, status, model);
        }

        Conflicts(html, model);
        html.Append(Inv, $"<p><small>Rendered {Time(model.Now)}; refreshes every {model.Options.RefreshSeconds} s.</small></p></body></html>");
        return html.ToString();
    }

    /// <summary>The sign-in form (operator key); <paramref name="refused"/> after a wrong key.</summary>
    public static string RenderLogin((string FieldName, string Token) antiforgery, bool refused)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Ferry status: sign in</title><style>").Append(Css).Append("</style></head><body>")
            .Append("<h1>Ferry status</h1>")
            .Append(refused ? "<p class=\"bad\" id=\"refused\">That key is not an operator key.</p>" : "")
            .Append(Inv, $"<form method=\"post\" action=\"/operator/login\">{Token(antiforgery)}")
            .Append("<label>Operator key <input type=\"password\" name=\"key\" autocomplete=\"current-password\" required autofocus></label> <button>Sign in</button></form></body></html>");
        return html.ToString();
    }

    private static void Controls(StringBuilder html, SyncStatus status, StatusPageModel model)
    {
        if (status.Paused)
        {
            html.Append(Inv, $"<p class=\"paused\" id=\"paused\">Syncing is <b>paused</b>{(status.PausedReason.Length > 0 ? ": " + E(status.PausedReason) : "")}. Deliveries are still recorded and queued. {Form("/operator/pause", model, "Resume syncing", ("paused", "false"))}</p>");
        }
        else
        {
            html.Append(Inv, $"<p id=\"running\">Syncing is running. <form method=\"post\" action=\"/operator/pause\">{Token(model)}<input type=\"hidden\" name=\"paused\" value=\"true\"><input name=\"reason\" placeholder=\"why (shown here)\" maxlength=\"200\"> <button>Pause syncing</button></form></p>");
        }

        html.Append(Inv, $"<p>{Form("/operator/reconcile", model, "Run reconciler now")} Last reconciler run: {Ago(status.LastReconcileAt, model.Now)}</p>");
    }

    private static void Figures(StringBuilder html, SyncStatus status, DateTimeOffset now)
    {
        html.Append("<div class=\"figures\">");
        Figure(html, "queue-depth", "Queue", status.QueueDepth.ToString(Inv), "jobs pending or running");
        Figure(html, "oldest-job", "Oldest job", Seconds(status.OldestJobAgeSeconds), "waiting");
        Figure(html, "lag", "Lag p50 / p95", $"{Seconds(status.LagP50Seconds)} / {Seconds(status.LagP95Seconds)}", "event → ticket, last hour");
        Figure(html, "synced-hour", "Synced", status.SyncsPerMinute.Sum().ToString(Inv), "last hour");
        Figure(html, "failed-hour", "Failed attempts", status.FailuresPerMinute.Sum().ToString(Inv), "last hour");
        Figure(html, "dead-total", "Dead jobs", status.DeadJobsTotal.ToString(Inv), "waiting for an operator");
        Figure(html, "intercom-webhook", "Last Intercom webhook", Ago(status.LastIntercomWebhookAt, now), "");
        Figure(html, "zendesk-webhook", "Last Zendesk webhook", Ago(status.LastZendeskWebhookAt, now), "");
        html.Append("</div>");
    }

    private static void Figure(StringBuilder html, string id, string label, string value, string note) =>
        html.Append(Inv, $"<div class=\"figure\" id=\"{id}\">{E(label)}<b>{E(value)}</b><small>{E(note)}</small></div>");

    private static void Vendors(StringBuilder html, SyncStatus status, DateTimeOffset now)
    {
        html.Append("<h2>Vendors</h2><table id=\"vendors\"><tr><th>vendor</th><th>last successful call</th><th>last failure</th><th>rate budget used (last minute)</th><th>429 pause</th><th>auth failures (hour)</th></tr>");
        foreach (var v in status.Vendors)
        {
            var healthy = v.LastSuccessAt is not null && (v.LastFailureAt is null || v.LastFailureAt.ToDateTimeOffset() < v.LastSuccessAt.ToDateTimeOffset());
            var used = v.BudgetPerMinute > 0 ? 100.0 * v.UsedLastMinute / v.BudgetPerMinute : 0;
            var failure = v.LastFailureAt is null ? "none" : $"{Ago(v.LastFailureAt, now)} ({(v.LastFailureStatus == 0 ? "no answer" : "HTTP " + v.LastFailureStatus.ToString(Inv))})";
            html.Append(Inv, $"<tr data-vendor=\"{E(v.Vendor)}\"><td class=\"{(healthy ? "ok" : "bad")}\">{E(v.Vendor)}</td><td>{Ago(v.LastSuccessAt, now)}</td><td>{E(failure)}</td>")
                .Append(Inv, $"<td>{v.UsedLastMinute.ToString(Inv)} of {v.BudgetPerMinute.ToString(Inv)} ({used:0}%)</td><td>{(v.PausedUntil is null ? "none" : "until " + Time(v.PausedUntil.ToDateTimeOffset()))}</td>")
                .Append(Inv, $"<td class=\"{(v.AuthFailuresLastHour > 0 ? "bad" : "")}\">{v.AuthFailuresLastHour.ToString(Inv)}</td></tr>");
        }

        html.Append("</table>");
    }

    /// <summary>Syncs (green) and failed attempts (red) per minute, the last hour, as stacked bars.</summary>
    private static void Chart(StringBuilder html, SyncStatus status, DateTimeOffset now)
    {
        const int BarWidth = 10, Height = 80;
        var minutes = status.SyncsPerMinute.Count;
        var top = Math.Max(1, Enumerable.Range(0, minutes).Max(i => status.SyncsPerMinute[i] + status.FailuresPerMinute.ElementAtOrDefault(i)));
        html.Append(Inv, $"<h2>Syncs per minute</h2><svg id=\"throughput\" role=\"img\" aria-label=\"syncs and failures per minute, last hour\" width=\"{minutes * BarWidth}\" height=\"{Height + 14}\" viewBox=\"0 0 {minutes * BarWidth} {Height + 14}\">");
        for (var i = 0; i < minutes; i++)
        {
            var synced = status.SyncsPerMinute[i];
            var failed = status.FailuresPerMinute.ElementAtOrDefault(i);
            var syncedHeight = (double)synced * Height / top;
            var failedHeight = (double)failed * Height / top;
            var minute = now.AddMinutes(i - minutes + 1).ToUniversalTime().ToString("HH:mm", Inv);
            html.Append(Inv, $"<g><title>{minute} UTC: {synced} synced, {failed} failed</title>")
                .Append(Inv, $"<rect x=\"{i * BarWidth}\" y=\"{Height - syncedHeight:0.##}\" width=\"{BarWidth - 2}\" height=\"{syncedHeight:0.##}\" fill=\"#2e9e4f\"/>")
                .Append(Inv, $"<rect x=\"{i * BarWidth}\" y=\"{Height - syncedHeight - failedHeight:0.##}\" width=\"{BarWidth - 2}\" height=\"{failedHeight:0.##}\" fill=\"#d0312d\"/></g>");
        }

        html.Append(Inv, $"<text x=\"0\" y=\"{Height + 12}\" font-size=\"10\">−60 min</text><text x=\"{minutes * BarWidth - 24}\" y=\"{Height + 12}\" font-size=\"10\">now</text><text x=\"2\" y=\"10\" font-size=\"10\">{top}</text></svg>");
    }

    private static void DeadJobs(StringBuilder html, SyncStatus status, StatusPageModel model)
    {
        html.Append(Inv, $"<h2>Dead jobs ({status.DeadJobsTotal.ToString(Inv)})</h2>");
        if (status.DeadJobs.Count == 0)
        {
            html.Append("<p>None.</p>");
            return;
        }

        html.Append(Inv, $"<p>{Form("/operator/retry", model, "Retry every dead job", ("allDead", "true"))}</p>");
        html.Append("<table id=\"dead-reasons\"><tr><th>jobs</th><th>reason</th><th></th></tr>");
        foreach (var reason in status.DeadJobs.GroupBy(j => j.Reason, StringComparer.Ordinal).OrderByDescending(g => g.Count()))
        {
            html.Append(Inv, $"<tr><td>{reason.Count().ToString(Inv)}</td><td class=\"reason\">{E(reason.Key)}</td><td>{Form("/operator/retry", model, "Retry all with this reason", ("deadReason", reason.Key))}</td></tr>");
        }

        html.Append("</table><table id=\"dead-jobs\"><tr><th>died</th><th>conversation</th><th>ticket</th><th>attempts</th><th>reason</th><th></th></tr>");
        foreach (var job in status.DeadJobs)
        {
            html.Append(Inv, $"<tr data-conversation-id=\"{E(job.ConversationId)}\"><td>{Ago(job.DiedAt, model.Now)}</td><td>{Conversation(job.ConversationId, model.Options)}</td><td>{Ticket(job.TicketId, model.Options)}</td>")
                .Append(Inv, $"<td>{job.Attempts.ToString(Inv)}</td><td class=\"reason\">{E(job.Reason)}</td><td>{Form("/operator/retry", model, "Retry", ("jobId", job.JobId.ToString(Inv)))} {DismissForm(job.JobId, model)}</td></tr>");
        }

        html.Append("</table>");
    }

    private static void Failures(StringBuilder html, SyncStatus status, StatusPageModel model) =>
        Table(html, "Latest failed attempts", "failures", ["when", "conversation", "ticket", "attempt", "reason", ""], status.LatestFailures, a =>
            $"<tr data-conversation-id=\"{E(a.ConversationId)}\"><td>{Ago(a.StartedAt, model.Now)}</td><td>{Conversation(a.ConversationId, model.Options)}</td><td>{Ticket(a.TicketId, model.Options)}</td>"
            + $"<td>{a.AttemptNumber.ToString(Inv)}</td><td class=\"reason\">{E(a.Reason)}</td><td>{Form("/operator/retry", model, "Retry now", ("jobId", a.JobId.ToString(Inv)))}</td></tr>");

    private static void Dismissed(StringBuilder html, SyncStatus status, StatusPageModel model) =>
        Table(html, "Recently dismissed dead jobs", "dismissed", ["dismissed", "by", "note", "conversation", "ticket", "reason", ""], status.RecentlyDismissed, j =>
            $"<tr data-conversation-id=\"{E(j.ConversationId)}\"><td>{Ago(j.DismissedAt, model.Now)}</td><td>{E(j.DismissedBy)}</td><td class=\"reason\">{E(j.DismissalNote)}</td>"
            + $"<td>{Conversation(j.ConversationId, model.Options)}</td><td>{Ticket(j.TicketId, model.Options)}</td><td class=\"reason\">{E(j.Reason)}</td>"
            + $"<td>{Form("/operator/retry", model, "Retry", ("jobId", j.JobId.ToString(Inv)))}</td></tr>");

    private static void Findings(StringBuilder html, SyncStatus status, StatusPageModel model) =>
        Table(html, "Reconciler findings", "findings", ["found", "kind", "conversation", "ticket", "detail", "job"], status.LatestFindings, f =>
            $"<tr><td>{Ago(f.FoundAt, model.Now)}</td><td>{E(f.Kind)}</td><td>{Conversation(f.ConversationId, model.Options)}</td><td>{Ticket(f.TicketId, model.Options)}</td>"
            + $"<td class=\"reason\">{E(f.Detail)}</td><td>{(f.JobId == 0 ? "—" : f.JobId.ToString(Inv))}</td></tr>");

    /// <summary>A titled table of <paramref name="items"/>, or "None." when there are none; <paramref name="row"/> returns encoded HTML.</summary>
    private static void Table<T>(StringBuilder html, string title, string id, string[] headers, IReadOnlyCollection<T> items, Func<T, string> row)
    {
        html.Append(Inv, $"<h2>{E(title)}</h2>");
        if (items.Count == 0)
        {
            html.Append("<p>None.</p>");
            return;
        }

        html.Append(Inv, $"<table id=\"{id}\"><tr>{string.Concat(headers.Select(h => $"<th>{E(h)}</th>"))}</tr>");
        foreach (var item in items)
        {
            html.Append(row(item));
        }

        html.Append("</table>");
    }

    private static void Conflicts(StringBuilder html, StatusPageModel model)
    {
        html.Append("<h2>Identity conflicts waiting for a decision</h2>");
        if (model.Conflicts is not { } links)
        {
            html.Append(Inv, $"<p class=\"bad\" id=\"conflicts-error\">IdentityService did not answer: {E(model.ConflictsError)}</p>");
            return;
        }

        var open = links.SelectMany(l => l.Conflicts.Where(c => !c.Resolved).Select(c => (Link: l, Conflict: c))).ToList();
        if (open.Count == 0)
        {
            html.Append("<p>None.</p>");
            return;
        }

        html.Append("<p><small>Decide with <code>ferry</code>'s identity commands (OverrideLink); Ferry never merges users itself.</small></p>");
        html.Append("<table id=\"conflicts\"><tr><th>since</th><th>Intercom contact</th><th>kind</th><th>linked to Zendesk user</th><th>email owner / external_id owner</th><th>detail</th></tr>");
        foreach (var (link, conflict) in open)
        {
            html.Append(Inv, $"<tr><td>{Ago(conflict.CreatedAt, model.Now)}</td><td>{E(link.IntercomContactId)}</td><td>{E(conflict.Kind)}</td><td>{conflict.ChosenUserId.ToString(Inv)}</td>")
                .Append(Inv, $"<td>{conflict.EmailUserId.ToString(Inv)} / {conflict.ExternalIdUserId.ToString(Inv)}</td><td class=\"reason\">{E(conflict.Detail)}</td></tr>");
        }

        html.Append("</table>");
    }

    private static string Conversation(string id, OperatorOptions options) => Anchor(OperatorOptions.Link(options.IntercomConversationUrl, id), id, "conversation");

    private static string Ticket(long id, OperatorOptions options) =>
        id == 0 ? "—" : Anchor(OperatorOptions.Link(options.ZendeskTicketUrl, id.ToString(Inv)), "#" + id.ToString(Inv), "ticket");

    private static string Anchor(Uri? href, string text, string cssClass) =>
        href is null ? E(text) : $"<a class=\"{cssClass}\" href=\"{E(href.AbsoluteUri)}\" target=\"_blank\" rel=\"noopener noreferrer\">{E(text)}</a>";

    private static string Form(string action, StatusPageModel model, string label, params (string Name, string Value)[] fields)
    {
        var form = new StringBuilder();
        form.Append(Inv, $"<form method=\"post\" action=\"{action}\">{Token(model)}");
        foreach (var (name, value) in fields)
        {
            form.Append(Inv, $"<input type=\"hidden\" name=\"{name}\" value=\"{E(value)}\">");
        }

        return form.Append(Inv, $"<button>{E(label)}</button></form>").ToString();
    }

    /// <summary>Takes a dead job off the list without running it again; the note (why nothing is to be done) is required.</summary>
    private static string DismissForm(long jobId, StatusPageModel model) =>
        string.Create(Inv, $"<form method=\"post\" action=\"/operator/dismiss\">{Token(model)}<input type=\"hidden\" name=\"jobId\" value=\"{jobId.ToString(Inv)}\">")
        + "<input name=\"note\" placeholder=\"why nothing is to be done\" maxlength=\"500\" required> <button>Dismiss</button></form>";

    private static string Token(StatusPageModel model) => Token(model.Antiforgery);

    private static string Token((string FieldName, string Token) antiforgery) =>
        $"<input type=\"hidden\" name=\"{E(antiforgery.FieldName)}\" value=\"{E(antiforgery.Token)}\">";

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv);

    private static string Seconds(double seconds) => seconds switch
    {
        < 120 => string.Create(Inv, $"{seconds:0.#} s"),
        < 7200 => string.Create(Inv, $"{seconds / 60:0.#} min"),
        _ => string.Create(Inv, $"{seconds / 3600:0.#} h"),
    };

    private static string Ago(Timestamp? at, DateTimeOffset now) =>
        at is null ? "never" : $"{Seconds(Math.Max(0, (now - at.ToDateTimeOffset()).TotalSeconds))} ago";
}
