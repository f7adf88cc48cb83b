using System.Net;
using System.Text.RegularExpressions;

namespace Ferry.TicketService.Sync;

/// <summary>One item of the thread: the opening message ("source") or a conversation part.</summary>
public sealed record ThreadItem(string PartId, string PartType, IntercomAuthor? Author, string? Body, DateTimeOffset CreatedAt, IReadOnlyList<IntercomAttachment> Attachments)
{
    /// <summary>
    /// Part types whose text the customer sees in Intercom: replies, and a close, assignment, snooze or
    /// reopen sent with a message ("close with a message" reaches the user; an assignment's body is
    /// "a response in the conversation").
    /// </summary>
    private static readonly HashSet<string> PublicTypes = new(StringComparer.Ordinal)
    {
        "source", "comment", "close", "open", "snoozed", "unsnoozed", "assignment", "assign_and_reopen", "away_mode_assignment", "quick_reply",
    };

    /// <summary>A part without text or attachments (most assignments, open/close/snooze, attribute changes) is an event, not an empty comment.</summary>
    public bool IsEvent => string.IsNullOrWhiteSpace(TicketPlanner.PlainText(Body)) && Attachments.Count == 0;

    /// <summary>Notes, and text of any part type not known to reach the customer, stay internal.</summary>
    public bool IsPrivate => !PublicTypes.Contains(PartType);
}

/// <summary>Pure mapping rules from an Intercom conversation to a Zendesk ticket. No I/O.</summary>
public static partial class TicketPlanner
{
    public const string SourcePartId = "source";
    public const int SubjectLength = 120;

    public static string ExternalId(string conversationId) => Ferry.ServiceDefaults.Vendors.VendorEvents.TicketExternalId(conversationId);

    /// <summary>The whole reachable thread, oldest first: the opening message, then every part.</summary>
    public static IReadOnlyList<ThreadItem> Thread(IntercomConversation conversation)
    {
        var items = new List<ThreadItem>();
        if (conversation.Source is { } source)
        {
            items.Add(new ThreadItem(SourcePartId, "source", source.Author, source.Body, FromUnix(conversation.CreatedAt), source.Attachments ?? []));
        }

        foreach (var part in conversation.ConversationParts?.ConversationParts ?? [])
        {
            items.Add(new ThreadItem(part.Id, part.PartType, part.Author, part.Body, FromUnix(part.CreatedAt), part.Attachments ?? []));
        }

        // Stable: parts with the same second keep Intercom's order.
        return [.. items.Select((item, index) => (item, index)).OrderBy(x => x.item.CreatedAt).ThenBy(x => x.index).Select(x => x.item)];
    }

    /// <summary>
    /// Parts that will never reach the ticket: Intercom's total minus every part id that is either in
    /// the ledger already or returned now (ids are unique, so this is exact, whenever earlier syncs ran).
    /// </summary>
    public static int Missing(IntercomConversation conversation, IReadOnlySet<string> synced)
    {
        var returned = conversation.ConversationParts?.ConversationParts ?? [];
        var total = conversation.ConversationParts?.TotalCount ?? returned.Count;
        var known = synced.Where(id => id != SourcePartId && !AttachmentNotes.IsNotePartId(id)).Union(returned.Select(p => p.Id), StringComparer.Ordinal).Count();
        return Math.Max(0, total - known);
    }

    /// <summary>
    /// The close parts Ferry itself wrote (a Zendesk solve closing the conversation with
    /// <c>Status:ClosingNote</c>) are events: their text came from Ferry, not from a person, and must
    /// not come back to the ticket as a public comment.
    /// </summary>
    public static IReadOnlyList<ThreadItem> WithoutFerrysClosingNote(IReadOnlyList<ThreadItem> thread, string? closingNote) =>
        string.IsNullOrWhiteSpace(closingNote) ? thread
            : [.. thread.Select(item => item.PartType == "close" && item.Attachments.Count == 0 && PlainText(item.Body) == PlainText(closingNote) ? item with { Body = null } : item)];

    public static string Subject(IntercomConversation conversation)
    {
        var candidate = !string.IsNullOrWhiteSpace(conversation.Title) ? conversation.Title
            : !string.IsNullOrWhiteSpace(conversation.Source?.Subject) ? PlainText(conversation.Source.Subject)
            : PlainText(conversation.Source?.Body);
        candidate = candidate?.Trim();
        if (string.IsNullOrEmpty(candidate))
        {
            return $"Intercom conversation {conversation.Id}";
        }

        return candidate.Length <= SubjectLength ? candidate : string.Concat(candidate.AsSpan(0, SubjectLength - 1), "…");
    }

    /// <summary>The status the ticket is created with; later changes go through the status round-trip.</summary>
    public static string Status(IntercomConversation conversation, SyncOptions options) =>
        RoundTrip.StatusPolicy.ZendeskStatusFor(conversation.State ?? "open", options.SnoozedStatus);

    /// <summary>Zendesk tags are lower case without spaces; <paramref name="ferryTag"/> (Dual:Tag) is on every ticket.</summary>
    public static IReadOnlyList<string> Tags(IntercomConversation conversation, string ferryTag) =>
        [.. (conversation.Tags?.Tags ?? []).Select(t => TagPattern().Replace(t.Name.Trim().ToLowerInvariant(), "_")).Where(t => t.Length > 0)
            .Append(ferryTag).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The comment body: Intercom's HTML kept, with a byline when the author has no Zendesk user of
    /// their own, and, on a private comment only, the note about attachments Ferry could not copy.
    /// </summary>
    public static string CommentHtml(ThreadItem item, string? byline, string? attachmentNote = null)
    {
        var body = item.Body ?? "";
        if (byline is not null)
        {
            body = $"<p><em>{WebUtility.HtmlEncode(byline)}</em></p>{body}";
        }

        body = body.Length == 0 ? "<p>(empty message)</p>" : body;
        return attachmentNote is null ? body : body + attachmentNote;
    }

    public static string GapNote(int missing, int total) =>
        $"<p><strong>Ferry:</strong> this Intercom conversation has {total} parts, but Intercom's API returns only the 500 most recent. "
        + $"{missing} older part(s) could not be copied; see the conversation in Intercom for them.</p>";

    public static string PlainText(string? html) =>
        html is null ? "" : WebUtility.HtmlDecode(HtmlTagPattern().Replace(html, " ")).Replace('\u00a0', ' ').Trim() is var text
            ? WhitespacePattern().Replace(text, " ")
            : "";

    public static DateTimeOffset FromUnix(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    [GeneratedRegex(@"[\s,]+")]
    private static partial Regex TagPattern();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex HtmlTagPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}
