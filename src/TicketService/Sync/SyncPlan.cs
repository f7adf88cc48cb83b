using Ferry.TicketService.Rules;

namespace Ferry.TicketService.Sync;

/// <summary>What one attempt knows before it writes: the conversation, its thread, who is who, and what the ticket lacks.</summary>
/// <param name="Fresh">Thread items the ledger does not hold yet, oldest first.</param>
/// <param name="Total">Intercom's part count (the opening message included).</param>
/// <param name="Gap">Parts that fell out of Intercom's 500-part window before Ferry saw them.</param>
/// <param name="Status">The status a new ticket gets.</param>
/// <param name="Link">The ticket Ferry already links to the conversation, if any.</param>
public sealed record SyncPlan(
    IntercomConversation Conversation,
    IReadOnlyList<ThreadItem> Thread,
    IReadOnlyList<ThreadItem> Fresh,
    int Total,
    int Gap,
    Requester Requester,
    (long? AssigneeId, long? GroupId) Assignment,
    RoutingDecision Routing,
    AuthorDirectory Authors,
    string Status,
    TicketLink? Link);

/// <summary>The ticket's requester: the Zendesk user, and the Intercom contact it stands for.</summary>
public sealed record Requester(long UserId, string ContactId);
