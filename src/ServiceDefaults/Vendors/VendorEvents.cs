using System.Collections.Frozen;

namespace Ferry.ServiceDefaults.Vendors;

/// <summary>
/// What the Gateway and TicketService must agree on about vendor events: the Intercom topics that lead
/// to a sync (shared/reference/APIS.md), and the external_id that ties a Zendesk ticket to its conversation.
/// </summary>
public static class VendorEvents
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
        "conversation.deleted");

    public const string TicketExternalIdPrefix = "intercom-conversation-";

    /// <summary>The external_id of the ticket Ferry makes for a conversation.</summary>
    public static string TicketExternalId(string conversationId) => TicketExternalIdPrefix + conversationId;

    /// <summary>The conversation behind a ticket's external_id, or null for a ticket Ferry did not create.</summary>
    public static string? ConversationIdFromExternalId(string? externalId) =>
        externalId is not null && externalId.StartsWith(TicketExternalIdPrefix, StringComparison.Ordinal) && externalId.Length > TicketExternalIdPrefix.Length
            ? externalId[TicketExternalIdPrefix.Length..]
            : null;
}
