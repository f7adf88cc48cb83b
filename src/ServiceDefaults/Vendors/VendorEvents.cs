using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Ferry.ServiceDefaults.Vendors;

/// <summary>
/// What the Gateway and TicketService must agree on about vendor events: the Intercom topics that lead
/// to a sync, what a conversation id looks like, and the external_id that ties a Zendesk ticket to its conversation.
/// </summary>
public static partial class VendorEvents
{
    /// <summary>Intercom topics Ferry syncs on; every other topic is acknowledged and counted only.</summary>
    public static FrozenSet<string> IntercomSyncTopics { get; } = FrozenSet.Create(StringComparer.Ordinal,
        "conversation.user.created",
        "conversation.user.replied",
        "conversation.admin.replied",
        "conversation.admin.single.created",
        "conversation.admin.noted",
        "conversation.admin.assigned",
        "conversation.admin.closed",
        "conversation.admin.opened",
        "conversation.admin.snoozed",
        "conversation.admin.unsnoozed",
        IntercomConversationDeletedTopic,
        // A tag added or a priority changed by a teammate: dual mode carries both onto the ticket. (A tag removed has no
        // topic; the conversation's next sync or the reconciler's scan carries that.)
        "conversation_part.tag.created",
        "conversation.priority.updated");

    /// <summary>Intercom's own word that a teammate deleted a conversation (TicketService ends its job without an alarm).</summary>
    public const string IntercomConversationDeletedTopic = "conversation.deleted";

    /// <summary>The topics the gateway gives Ferry's two Zendesk webhooks (docs/WEBHOOKS.md): a status change, a comment.</summary>
    public const string ZendeskStatusTopic = "ticket.status_changed";

    public const string ZendeskCommentTopic = "ticket.comment_added";

    public const string TicketExternalIdPrefix = "intercom-conversation-";

    /// <summary>The external_id of the ticket Ferry makes for a conversation.</summary>
    public static string TicketExternalId(string conversationId) => TicketExternalIdPrefix + conversationId;

    /// <summary>What the Sync API and the inbox accept as an Intercom conversation id.</summary>
    public const string ConversationIdRule = "letters, digits, '-' or '_', at most 64";

    public static bool IsConversationId(string? value) => value is not null && ConversationIdPattern().IsMatch(value);

    /// <summary>
    /// The conversation behind a ticket's external_id, or null for a ticket Ferry did not create. Anyone with
    /// access to Zendesk can edit an external_id, so a suffix that is not a conversation id names none.
    /// </summary>
    public static string? ConversationIdFromExternalId(string? externalId) =>
        externalId is not null && externalId.StartsWith(TicketExternalIdPrefix, StringComparison.Ordinal)
            && IsConversationId(externalId[TicketExternalIdPrefix.Length..])
            ? externalId[TicketExternalIdPrefix.Length..]
            : null;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ConversationIdPattern();
}
