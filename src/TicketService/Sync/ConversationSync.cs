using System.Diagnostics;
using Ferry.ServiceDefaults.Vendors;
using Ferry.TicketService.Dual;
using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Rules;
using Ferry.V1;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Sync;

/// <summary>What one attempt achieved, for the attempt log.</summary>
/// <param name="Direction">Which way the attempt's change went (a status change from Zendesk makes it zendesk->intercom).</param>
/// <param name="Origin">Where that change came from; "ferry" when the attempt only dropped echoes of Ferry's own change.</param>
public sealed record SyncResult(
    AttemptOutcome Outcome, long? TicketId, string Reason,
    string Direction = AttemptLog.IntercomToZendesk, string Origin = StatusOrigin.Intercom);

/// <summary>The conversation is gone from Intercom, or a vendor refused a request for good: retrying cannot help.</summary>
public sealed class PermanentSyncException(string message) : Exception(message)
{
    /// <summary>A linked ticket an agent deleted: Ferry does not recreate it behind their back (docs/SYNC.md).</summary>
    public static PermanentSyncException TicketDeleted(long ticketId) => new($"Zendesk ticket {ticketId} no longer exists (deleted in Zendesk?).");
}

/// <summary>
/// Brings one conversation's ticket up to date, in steps: read the conversation and plan; find or
/// create the ticket (<see cref="TicketTarget"/>); append what it lacks (<see cref="CommentAppender"/>);
/// then the status round-trip (<see cref="StatusSync"/>). Idempotent by construction: the ledger says
/// which parts are in the ticket, and what an interrupted attempt wrote is recognised in the ticket.
/// </summary>
public sealed class ConversationSync(
    IntercomClient intercom,
    Identity.IdentityClient identity,
    ZendeskApiUser apiUser,
    SyncStore store,
    TicketTarget target,
    CommentAppender appender,
    StatusSync statusSync,
    ZendeskReplies replies,
    FieldsFollow fields,
    IOptions<SyncOptions> options,
    IOptions<StatusOptions> statusOptions,
    RuleEngine rules)
{
    public async Task<SyncResult> SyncAsync(SyncAttempt attempt)
    {
        // The conversation and what Ferry holds for it (link, ledger) are independent reads: made at once. The
        // requester the newest webhook named is read meanwhile too; the conversation decides whether it is the one.
        var authors = new AuthorDirectory(intercom, identity, apiUser);
        var reading = intercom.GetConversationAsync(attempt.ConversationId, attempt.Cancellation);
        var holding = ReadRecordsAsync(attempt, authors);
        await Task.WhenAll(reading, holding);
        var (link, synced, _) = await holding;
        if (await reading is not { } conversation)
        {
            return await GoneFromIntercomAsync(attempt, link);
        }

        // Rules: a conversation they keep out gets no ticket; one that already has a ticket keeps syncing.
        var routing = rules.Evaluate(conversation);
        if (routing.Skip && link is null)
        {
            rules.RecordSkip(attempt.ConversationId, routing);
            return new SyncResult(AttemptOutcome.Skipped, null, $"Skipped by rules: {routing.SkipReason}");
        }

        // A reply to Intercom whose recording was lost is found first, so it is not taken for a new Intercom message.
        await replies.RecoverAsync(attempt, conversation, link, synced);
        if (conversation.Contacts?.Contacts is not [var requester, ..])
        {
            return new SyncResult(AttemptOutcome.Skipped, null, "Conversation has no contact to be the ticket's requester.");
        }

        // Without a link, looking for a ticket a crashed attempt made needs nothing the plan resolves: it runs alongside.
        var adopting = link is null ? target.FindAdoptableAsync(attempt) : Task.FromResult<ZendeskTicket?>(null);
        var planning = PlanAsync(attempt, conversation, requester.Id, routing, link, synced, authors);
        await Task.WhenAll(adopting, planning);
        var plan = await planning;

        var found = await target.ResolveAsync(attempt, plan, await adopting);
        Activity.Current?.SetTag("ferry.ticket_id", found.Ticket.Id);
        var (ticket, written) = found.Created ? (found.Ticket, 0) : await appender.AppendAsync(attempt, plan, found.Ticket, found.ToAppend);
        var carried = await replies.CarryAsync(attempt, conversation, ticket.Id);
        var followed = await fields.PlanAsync(attempt, plan, ticket);

        // Status both ways (with assignee and group when the ticket's status follows the conversation), in one ticket update with the fields that follow.
        var status = await statusSync.ReconcileAsync(attempt, conversation, ticket.Seen, ticket.Id, plan.Assignment, followed?.Changes);
        if (followed is not null)
        {
            await fields.RecordAsync(attempt, followed);
        }

        var comments = found.Created ? Describe("Created ticket", plan.Thread.Count(i => !i.IsEvent), plan.Gap)
            : written == 0 ? "Up to date"
            : Describe("Appended", written, plan.Gap);
        return carried.Carried > 0 && !status.Applied
            ? new SyncResult(AttemptOutcome.Success, ticket.Id, $"{comments}; carried {carried.Replies} Zendesk reply(ies) and {carried.Notes} note(s) to Intercom",
                AttemptLog.ZendeskToIntercom, StatusOrigin.Zendesk)
            : Result(comments, found.Created ? 1 : written, status);
    }

    /// <summary>
    /// The conversation is gone from Intercom. Once Intercom has announced the deletion (<c>conversation.deleted</c>,
    /// now or before), a teammate deleted it on purpose (spam, a duplicate): the job ends skipped and no dead job calls
    /// an operator, whatever an agent then does to the ticket, except a comment Ferry would have carried to Intercom
    /// (dual mode): that one would never reach the customer, so the job is dead with that reason. A deletion nobody
    /// announced (its webhook lost, another workspace) is dead at once too. Either way the ticket keeps its history.
    /// </summary>
    private async Task<SyncResult> GoneFromIntercomAsync(SyncAttempt attempt, TicketLink? link)
    {
        if (!await store.DeletionAnnouncedAsync(attempt.ConversationId, attempt.Cancellation))
        {
            throw new PermanentSyncException("Conversation not found in Intercom (deleted, or another workspace); its ticket, if any, keeps its history.");
        }

        var waiting = (await store.GetStatusRecordsAsync(attempt.ConversationId, attempt.Cancellation)).Deliveries;
        if (replies.CarriesComments && link is not null && waiting.Any(d => d is { Source: "zendesk", Topic: VendorEvents.ZendeskCommentTopic }))
        {
            throw new PermanentSyncException(
                $"Conversation deleted in Intercom: a comment added in Zendesk to ticket {link.TicketId} cannot reach it (a reply would never reach the customer); its ticket keeps its history.");
        }

        attempt.WriteWithOutcome(tx =>
        {
            tx.MarkWeighed(waiting);
            tx.MarkDeletedInIntercom();
        });
        return new SyncResult(AttemptOutcome.Skipped, link?.TicketId, $"Conversation deleted in Intercom ({VendorEvents.IntercomConversationDeletedTopic}): nothing to sync; its ticket, if any, keeps its history.");
    }

    private async Task<AttemptRecords> ReadRecordsAsync(SyncAttempt attempt, AuthorDirectory authors)
    {
        var records = await store.ReadForAttemptAsync(attempt.ConversationId, attempt.Cancellation);
        if (records.RequesterHint is { } contactId)
        {
            authors.ReadContactAhead(contactId, attempt.Cancellation);
        }

        return records;
    }

    /// <summary>
    /// Resolves who is who with the lookups at once (they are independent): the requester (Intercom
    /// contact, then IdentityService), the assignee, and every other author of the parts to write; the
    /// comments later take them from the directory in thread order.
    /// </summary>
    private async Task<SyncPlan> PlanAsync(
        SyncAttempt attempt, IntercomConversation conversation, string requesterContactId, RoutingDecision routing, TicketLink? link, HashSet<string> synced, AuthorDirectory authors)
    {
        var thread = TicketPlanner.WithoutFerrysClosingNote(TicketPlanner.Thread(conversation), statusOptions.Value.ClosingNote);
        var fresh = thread.Where(i => !synced.Contains(i.PartId)).ToList();
        Activity.Current?.SetTag("ferry.parts.new", fresh.Count);

        var requester = authors.ResolveContactAsync(requesterContactId, attempt.Cancellation);
        var assignee = authors.ResolveAssigneeAsync(conversation.AdminAssigneeId, attempt.Cancellation);
        var others = authors.WarmAsync(fresh.Where(i => !i.IsEvent).Select(i => i.Author), requesterContactId, attempt.Cancellation);
        await Task.WhenAll(requester, assignee, others);
        var (assigneeId, groupId) = await assignee;
        return new SyncPlan(
            conversation,
            thread,
            fresh,
            Total: (conversation.ConversationParts?.TotalCount ?? 0) + (conversation.Source is null ? 0 : 1),
            Gap: TicketPlanner.Missing(conversation, synced),
            new Requester(await requester, requesterContactId),
            routing.Assign(assigneeId, groupId),
            routing,
            authors,
            TicketPlanner.Status(conversation, options.Value),
            link);
    }

    /// <summary>One attempt's outcome: comments written and the status round-trip's decision.</summary>
    private static SyncResult Result(string comments, int written, StatusOutcome status)
    {
        var ticket = status.Ticket;
        var zendeskChange = status.Decision.Origin == StatusOrigin.Zendesk;
        if (status.Applied || (zendeskChange && written > 0))
        {
            var reason = written == 0 ? status.Decision.Reason : $"{comments}; {status.Decision.Reason}";
            return new SyncResult(AttemptOutcome.Success, ticket.Id, reason, status.Direction, status.Decision.Origin);
        }

        if (written > 0)
        {
            return new SyncResult(AttemptOutcome.Success, ticket.Id, comments);
        }

        if (zendeskChange)
        {
            // A Zendesk change the policy does not carry over (e.g. a reopen with the setting off).
            return new SyncResult(AttemptOutcome.Skipped, ticket.Id, status.Decision.Reason, AttemptLog.ZendeskToIntercom, StatusOrigin.Zendesk);
        }

        return status.Echoes > 0
            ? new SyncResult(AttemptOutcome.Skipped, ticket.Id, $"Echo of Ferry's own status change dropped ({status.Echoes} webhook(s), no writes)", status.EchoDirection!, StatusOrigin.Ferry)
            : new SyncResult(AttemptOutcome.Success, ticket.Id, comments);
    }

    private static string Describe(string verb, int comments, int gap) =>
        gap == 0 ? $"{verb} {comments} comment(s)" : $"{verb} {comments} comment(s); {gap} oldest part(s) unreachable (Intercom returns the 500 most recent), noted on the ticket";
}
