namespace Ferry.TicketService.Api;

/// <summary>Which vendor events cause a conversation sync.</summary>
public static class Topics
{
    private static readonly HashSet<string> IntercomConversationTopics = new(StringComparer.Ordinal)
    {
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
        "conversation.deleted",
    };

    public static bool QueuesIntercomSync(string topic) => IntercomConversationTopics.Contains(topic);

    public const string ExternalIdPrefix = "intercom-conversation-";

    /// <summary>The conversation id in a Ferry ticket's external_id, or null for tickets Ferry did not create.</summary>
    public static string? ConversationIdFromExternalId(string? externalId) =>
        externalId is not null && externalId.StartsWith(ExternalIdPrefix, StringComparison.Ordinal) && externalId.Length > ExternalIdPrefix.Length
            ? externalId[ExternalIdPrefix.Length..]
            : null;
}
