namespace Ferry.TicketService.Rules;

/// <summary>
/// What the rules decided for one conversation: skip it (and why), or the fields its ticket gets.
/// Fields that no rule set are null / empty, so the ticket looks as it would without rules.
/// </summary>
public sealed record RoutingDecision(
    string? SkipRule,
    string? SkipReason,
    IReadOnlyList<string> Tags,
    long? GroupId,
    bool GroupOverridesAssignee,
    string? Priority,
    string? Type,
    IReadOnlyList<ZendeskCustomField> CustomFields,
    IReadOnlyList<string> MatchedRoutes)
{
    public bool Skip => SkipReason is not null;

    /// <summary>
    /// The ticket's assignee and group: the rules' group when there is no assignee or the assignee is
    /// in that group; otherwise the assignee (and their group) stay unless the rule says
    /// <see cref="TicketFields.GroupOverridesAssignee"/>, which leaves the ticket unassigned in the rule's group.
    /// </summary>
    public (long? AssigneeId, long? GroupId) Assign(long? assigneeId, long? assigneeGroupId) => GroupId switch
    {
        null => (assigneeId, assigneeGroupId),
        var group when assigneeId is null || assigneeGroupId == group => (assigneeId, group),
        var group when GroupOverridesAssignee => (null, group),
        _ => (assigneeId, assigneeGroupId),
    };

    public TicketImport Apply(TicketImport import) =>
        import with { Tags = Tags, Priority = Priority, Type = Type, CustomFields = CustomFields.Count == 0 ? null : CustomFields };

    public FollowUpTicket Apply(FollowUpTicket followUp, long? groupId) =>
        followUp with { Tags = Tags, GroupId = groupId, Priority = Priority, Type = Type, CustomFields = CustomFields.Count == 0 ? null : CustomFields };
}
