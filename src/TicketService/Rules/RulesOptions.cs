namespace Ferry.TicketService.Rules;

/// <summary>
/// Section "Rules": which conversations become tickets (Include / Exclude) and which Zendesk fields
/// their tickets get (TagMap, TeamGroups, ordered Routes, Defaults). Empty = every conversation, no
/// extra fields (Ferry's behaviour without rules). docs/SYNC.md "Rules" has a worked example.
/// </summary>
public sealed class RulesOptions
{
    public const string Section = "Rules";

    /// <summary>When not empty, a conversation must match at least one of these to get a ticket.</summary>
    public List<RuleCondition> Include { get; set; } = [];

    /// <summary>A conversation matching any of these gets no ticket (checked after Include).</summary>
    public List<RuleCondition> Exclude { get; set; } = [];

    /// <summary>Intercom tag name (any case) → Zendesk tag; an empty value drops the tag from the ticket.</summary>
    public Dictionary<string, string> TagMap { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The conversation's team (team_assignee_id) → Zendesk group id, used when no route sets a group.</summary>
    public Dictionary<string, long> TeamGroups { get; set; } = [];

    /// <summary>Read top to bottom; every matching route applies; the first route that sets a field decides it; tags add up.</summary>
    public List<RouteRule> Routes { get; set; } = [];

    /// <summary>Fields for whatever no route (or team mapping, for the group) set.</summary>
    public TicketFields Defaults { get; set; } = new();
}

/// <summary>
/// A named condition on the conversation. Every clause that is set must hold (AND); inside a list,
/// any value matches (OR), except <see cref="TagsAll"/>. Names and values compare case-insensitively.
/// </summary>
public class RuleCondition
{
    /// <summary>Shown in skip reasons, logs and the ferry.sync.skipped_by_rule metric.</summary>
    public string Name { get; set; } = "";

    /// <summary>Tagged with at least one of these Intercom tags.</summary>
    public List<string> TagsAny { get; set; } = [];

    /// <summary>Tagged with every one of these Intercom tags.</summary>
    public List<string> TagsAll { get; set; } = [];

    /// <summary>Tagged with none of these Intercom tags.</summary>
    public List<string> TagsNone { get; set; } = [];

    /// <summary>Assigned to one of these Intercom teams (team_assignee_id).</summary>
    public List<string> TeamIds { get; set; } = [];

    /// <summary>Assigned to one of these Intercom admins (admin_assignee_id).</summary>
    public List<string> AdminIds { get; set; } = [];

    /// <summary>Started on one of these channels (source.type: conversation, email, push, facebook, twitter, …).</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>Started in one of these ways (source.delivered_as: customer_initiated, admin_initiated, automated, campaigns_initiated, operator_initiated).</summary>
    public List<string> DeliveredAs { get; set; } = [];

    /// <summary>Conversation custom attribute name → required value (text as shown in Intercom; true/false; numbers).</summary>
    public Dictionary<string, string> Attributes { get; set; } = [];

    /// <summary>Has one of these Intercom priorities (none, low, medium, high, urgent).</summary>
    public List<string> Priorities { get; set; } = [];
}

/// <summary>A route: a condition and the ticket fields it sets.</summary>
public sealed class RouteRule : RuleCondition
{
    public TicketFields Set { get; set; } = new();

    /// <summary>No later route is evaluated after this one matched.</summary>
    public bool Stop { get; set; }
}

/// <summary>Zendesk ticket fields a route or the defaults set. Unset (null / empty) = not decided here.</summary>
public sealed class TicketFields
{
    public long? GroupId { get; set; }

    /// <summary>
    /// When the conversation's assignee is known to be in another group (or their group is unknown),
    /// true sends the ticket to <see cref="GroupId"/> unassigned; false (default) keeps the assignee
    /// and their group, because Zendesk only accepts an assignee who is a member of the ticket's group.
    /// </summary>
    public bool GroupOverridesAssignee { get; set; }

    /// <summary>low, normal, high or urgent.</summary>
    public string? Priority { get; set; }

    /// <summary>problem, incident, question or task.</summary>
    public string? Type { get; set; }

    /// <summary>Zendesk tags added to the ticket.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>
    /// Zendesk ticket field id → value. Values may use {{attribute.NAME}}, {{conversation.id}},
    /// {{team.id}}, {{admin.id}}, {{priority}}, {{channel}}, {{delivered_as}}; a value whose placeholders have no
    /// value is treated as not set here.
    /// </summary>
    public Dictionary<string, string> CustomFields { get; set; } = [];
}
