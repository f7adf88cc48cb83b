using System.Diagnostics;
using System.Net;
using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Sync;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Dual;

/// <summary>What carrying Zendesk comments to Intercom did in one attempt.</summary>
public sealed record RepliesOutcome(int Replies, int Notes)
{
    public static RepliesOutcome None { get; } = new(0, 0);

    public int Carried => Replies + Notes;
}

/// <summary>
/// Zendesk → Intercom comments (docs/DUAL.md). After the attempt has put the conversation's new parts into the
/// ticket, the ticket's comments the ledger cannot account for are the ones agents wrote in Zendesk: each becomes an
/// admin reply (public) or a note (internal), as the agent's Intercom admin, at the comment's own time, with its files
/// (<see cref="ZendeskAttachments"/>; those it cannot carry are listed with links: at the end of a note, in a separate
/// note after a public reply). Echoes are told apart by ids only: a comment Ferry wrote is in synced_parts with its
/// comment id, and a part Ferry wrote to Intercom is in synced_parts with the comment it came from, so neither crosses
/// back. Exactly once: the comment (with its links note) is marked "sending" before the Intercom call, and "linking"
/// between a reply and its links note; a retry that finds a mark looks for the parts (same admin, type and created_at,
/// not in the ledger) before sending again (<see cref="RecoverAsync"/>), and does so before the attempt plans what to
/// copy to Zendesk, so a part whose recording was lost is not taken for a new Intercom message.
/// </summary>
public sealed partial class ZendeskReplies(
    ZendeskTicketsClient zendesk,
    ZendeskAccountClient users,
    IntercomClient intercom,
    IntercomAdminDirectory admins,
    FerryAdmin fallback,
    ZendeskAttachments attachments,
    DualLedger ledger,
    SyncStore store,
    IOptions<DualOptions> options,
    ZendeskApiUser apiUser,
    ILogger<ZendeskReplies> logger)
{
    /// <summary>Whether comments written in Zendesk are carried to Intercom at all (Dual:RepliesToIntercom not off).</summary>
    public bool CarriesComments => options.Value.Replies != RepliesPolicy.Off;

    /// <summary>
    /// Before planning: the parts of comments an interrupted attempt was carrying that are in the conversation are
    /// recorded. Cheap when nothing was interrupted (one query).
    /// </summary>
    /// <param name="synced">The ledger's part ids as the attempt read them; a recovered part is added.</param>
    public async Task RecoverAsync(SyncAttempt attempt, IntercomConversation conversation, TicketLink? link, HashSet<string> synced)
    {
        if (!CarriesComments || link is null)
        {
            return;
        }

        var state = await ledger.ReadAsync(attempt.ConversationId, link.TicketId, attempt.Cancellation);
        if (state.Pending.Count == 0)
        {
            return;
        }

        var pending = new Dictionary<long, PendingComment>(state.Pending);
        var oldest = pending.Keys.Min();
        var authors = new ZendeskAuthors(users, admins, fallback);
        await foreach (var page in zendesk.CommentPagesAsync(link.TicketId, newest: true, attempt.Cancellation, withAuthors: true))
        {
            foreach (var comment in page.Where(c => pending.ContainsKey(c.Id)))
            {
                var mark = pending[comment.Id];
                pending.Remove(comment.Id);
                if (await AuthorAsync(authors, comment, attempt.Cancellation) is not { } writer)
                {
                    continue;
                }

                if (!mark.ReplyLanded)
                {
                    if (FindPart(conversation, writer.AdminId, !comment.Public, comment.CreatedAt, synced) is not { } landed)
                    {
                        continue;
                    }

                    synced.Add(landed.Id);
                    await attempt.WriteAsync(tx => DualLedger.Carried(tx, link.TicketId, comment.Id, !comment.Public, landed, mark.LinksNote));
                    LogRecovered(logger, attempt.ConversationId, link.TicketId, comment.Id, landed.Id);
                }

                if (mark.LinksNote is not null && FindPart(conversation, writer.AdminId, note: true, comment.CreatedAt, synced) is { } links)
                {
                    synced.Add(links.Id);
                    await attempt.WriteAsync(tx => DualLedger.Linked(tx, link.TicketId, comment.Id, links));
                    LogRecovered(logger, attempt.ConversationId, link.TicketId, comment.Id, links.Id);
                }
            }

            if (pending.Count == 0 || page.Count == 0 || page[0].Id < oldest)
            {
                break;
            }
        }
    }

    /// <summary>After the ticket is up to date with Intercom: carries the comments agents added in Zendesk.</summary>
    public async Task<RepliesOutcome> CarryAsync(SyncAttempt attempt, IntercomConversation conversation, long ticketId)
    {
        if (!CarriesComments)
        {
            return RepliesOutcome.None;
        }

        var policy = options.Value.Replies;
        var cancellationToken = attempt.Cancellation;
        var state = await ledger.ReadAsync(attempt.ConversationId, ticketId, cancellationToken);
        var unaccounted = await UnscannedAsync(ticketId, state, cancellationToken);
        if (unaccounted.Count == 0)
        {
            return RepliesOutcome.None;
        }

        var synced = await store.SyncedPartIdsAsync(attempt.ConversationId, cancellationToken);
        var authors = new ZendeskAuthors(users, admins, fallback);
        int replies = 0, notes = 0;
        foreach (var comment in unaccounted)
        {
            var mark = state.Pending.GetValueOrDefault(comment.Id);
            if (mark is null && state.Known.Contains(comment.Id))
            {
                continue;
            }

            var note = !comment.Public;
            var author = await authors.AuthorAsync(comment, cancellationToken);
            var skip = author is not { IsAgent: true } ? "not written by an agent"
                : author.Id == await apiUser.IdAsync(cancellationToken) ? "written by Ferry's API user"
                : note && policy == RepliesPolicy.Public ? "internal note (Dual:RepliesToIntercom is public)"
                : null;
            if (skip is not null)
            {
                await attempt.WriteAsync(tx => DualLedger.Skipped(tx, ticketId, comment.Id, skip));
                continue;
            }

            var writer = await authors.WriterAsync(author!, cancellationToken);
            if (mark is { ReplyLanded: true, LinksNote: { } pendingLinks })
            {
                await SendLinksAsync(attempt, ticketId, comment, writer, pendingLinks, synced);
                continue;
            }

            var files = await attachments.PrepareAsync(attempt.ConversationId, comment, cancellationToken);
            var body = Body(comment, writer.Byline) + (note && files.Links is { } folded ? ZendeskAttachments.Folded(folded) : "");
            var linksNote = !note && files.Links is { } links ? ZendeskAttachments.Note(comment, links) : null;
            attempt.BeforeVendorWrite(AttemptLog.ZendeskToIntercom);
            await attempt.WriteAsync(tx => DualLedger.Sending(tx, ticketId, comment.Id, linksNote));
            var answer = await intercom.ReplyAsync(attempt.ConversationId, new IntercomReply(
                note ? "note" : "comment", "admin", writer.AdminId, body, comment.CreatedAt?.ToUnixTimeSeconds(),
                files.Files.Count > 0 ? files.Files : null), cancellationToken);
            var part = Written(answer, comment, writer, note, synced);
            await attempt.WriteAsync(tx => DualLedger.Carried(tx, ticketId, comment.Id, note, part, linksNote));
            LogCarried(logger, attempt.ConversationId, ticketId, comment.Id, note ? "note" : "reply", part.Id);
            _ = note ? notes++ : replies++;
            if (linksNote is not null)
            {
                await SendLinksAsync(attempt, ticketId, comment, writer, linksNote, synced);
            }
        }

        await attempt.WriteAsync(tx => DualLedger.Scanned(tx, ticketId, unaccounted[^1].Id));
        Activity.Current?.SetTag("ferry.dual.carried", replies + notes);
        return new RepliesOutcome(replies, notes);
    }

    /// <summary>The note after a public reply listing the files it does not carry, at the comment's time.</summary>
    private async Task SendLinksAsync(SyncAttempt attempt, long ticketId, ZendeskComment comment, IntercomWriter writer, string linksNote, HashSet<string> synced)
    {
        attempt.BeforeVendorWrite(AttemptLog.ZendeskToIntercom);
        var answer = await intercom.ReplyAsync(attempt.ConversationId,
            new IntercomReply("note", "admin", writer.AdminId, linksNote, comment.CreatedAt?.ToUnixTimeSeconds()), attempt.Cancellation);
        var part = Written(answer, comment, writer, note: true, synced);
        await attempt.WriteAsync(tx => DualLedger.Linked(tx, ticketId, comment.Id, part));
        LogCarried(logger, attempt.ConversationId, ticketId, comment.Id, "links note", part.Id);
    }

    /// <summary>The part a reply made, from Intercom's answer (the conversation): this admin's newest not in the ledger (at the comment's time, if Intercom kept it).</summary>
    private static IntercomPart Written(IntercomConversation answer, ZendeskComment comment, IntercomWriter writer, bool note, HashSet<string> synced)
    {
        var part = FindPart(answer, writer.AdminId, note, comment.CreatedAt, synced) ?? FindPart(answer, writer.AdminId, note, null, synced)
            ?? throw new InvalidOperationException($"Intercom accepted the reply for Zendesk comment {comment.Id} but its answer shows no such part.");
        synced.Add(part.Id);
        return part;
    }

    /// <summary>The ticket's comments newer than the last scan; on the first scan, all but those its creation made.</summary>
    private async Task<IReadOnlyList<ZendeskComment>> UnscannedAsync(long ticketId, CommentLedger state, CancellationToken cancellationToken)
    {
        var comments = new List<ZendeskComment>();
        await foreach (var page in zendesk.CommentPagesAsync(ticketId, newest: state.ScannedUpTo is not null, cancellationToken, withAuthors: true))
        {
            comments.AddRange(state.ScannedUpTo is { } scanned ? page.Where(c => c.Id > scanned) : page);
            if (state.ScannedUpTo is { } last && (page.Count == 0 || page[0].Id <= last))
            {
                break;
            }
        }

        var ordered = comments.OrderBy(c => c.Id);
        return state.ScannedUpTo is null ? [.. ordered.Skip(state.ImportedComments ?? 0)] : [.. ordered];
    }

    private static async Task<IntercomWriter?> AuthorAsync(ZendeskAuthors authors, ZendeskComment comment, CancellationToken cancellationToken) =>
        await authors.AuthorAsync(comment, cancellationToken) is { IsAgent: true } agent
            ? await authors.WriterAsync(agent, cancellationToken)
            : null;

    /// <summary>The part a reply made: by this admin, of this type, at the comment's time, and not one the ledger holds.</summary>
    private static IntercomPart? FindPart(IntercomConversation conversation, string adminId, bool note, DateTimeOffset? createdAt, HashSet<string> synced) =>
        (conversation.ConversationParts?.ConversationParts ?? [])
            .LastOrDefault(p => p.PartType == (note ? "note" : "comment") && p.Author is { Type: "admin" } a && a.Id == adminId
                && !synced.Contains(p.Id) && (createdAt is null || p.CreatedAt == createdAt.Value.ToUnixTimeSeconds()));

    private static string Body(ZendeskComment comment, string? byline)
    {
        var html = comment.HtmlBody ?? $"<p>{WebUtility.HtmlEncode(comment.Body ?? "")}</p>";
        return byline is null ? html : $"<p><em>{WebUtility.HtmlEncode(byline)}</em></p>{html}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: Zendesk comment {CommentId} carried to Intercom as {Kind} (part {PartId})")]
    private static partial void LogCarried(ILogger logger, string conversationId, long ticketId, long commentId, string kind, string partId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: Zendesk comment {CommentId} had reached Intercom before the attempt stopped (part {PartId}); recorded, not sent again")]
    private static partial void LogRecovered(ILogger logger, string conversationId, long ticketId, long commentId, string partId);
}
