using System.ComponentModel.DataAnnotations;

namespace Ferry.TicketService.Dual;

/// <summary>Which Zendesk comments become Intercom conversation parts.</summary>
public enum RepliesPolicy
{
    /// <summary>None: Zendesk is written to, never read back (the migration case).</summary>
    Off,

    /// <summary>Agents' public replies become admin replies; internal notes stay in Zendesk.</summary>
    Public,

    /// <summary>Public replies become admin replies and internal notes become Intercom notes.</summary>
    PublicAndNotes,
}

/// <summary>Section "Dual": both tools stay in use (docs/DUAL.md).</summary>
public sealed class DualOptions
{
    public const string Section = "Dual";

    /// <summary>Zendesk's per-file upload limit: no Zendesk attachment is larger.</summary>
    public const long ZendeskMaxFileBytes = 50L * 1024 * 1024;

    /// <summary>Zendesk → Intercom comments: <c>off</c>, <c>public</c> or <c>public-and-notes</c>.</summary>
    [RegularExpression("^(?i)(off|public|public-and-notes)$", ErrorMessage = "Dual:RepliesToIntercom must be off, public or public-and-notes.")]
    public string RepliesToIntercom { get; set; } = "off";

    /// <summary>
    /// The tag on every ticket Ferry writes (imports, follow-ups, every update): the condition the requester
    /// notification triggers key on so the customer is not emailed what Intercom already showed (docs/DUAL.md).
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[a-z0-9_:/-]+$", ErrorMessage = "Dual:Tag must be a Zendesk tag: lower case letters, digits, _ - : / and no spaces.")]
    public string Tag { get; set; } = "ferry";

    /// <summary>
    /// Tags, assignee, team (as group), priority and rule-mapped custom fields follow the conversation onto its existing
    /// ticket, one update per sync with only what changed.
    /// </summary>
    public bool FieldsFollow { get; set; }

    /// <summary>
    /// Largest Zendesk attachment carried into an Intercom reply (bytes). Intercom takes reply files inside the JSON
    /// body (base64, ≤ 10 per reply), so each travels whole in memory and in one request; a larger file is named, with
    /// a link to it in Zendesk, in a note instead.
    /// </summary>
    [Range(1, ZendeskMaxFileBytes, ErrorMessage = "Dual:MaxAttachmentBytes must be between 1 and 52428800 (Zendesk's per-file limit).")]
    public long MaxAttachmentBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>
    /// Intercom priority → Zendesk priority when no rule sets one (Rules:Routes … Set:Priority wins). Intercom 2.16
    /// answers <c>priority</c> / <c>not_priority</c>; older workspaces and the sandbox use a scale.
    /// </summary>
    public Dictionary<string, string> PriorityMap { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["priority"] = "high",
        ["urgent"] = "urgent",
        ["high"] = "high",
        ["medium"] = "normal",
        ["low"] = "low",
    };

    public RepliesPolicy Replies => RepliesToIntercom.ToLowerInvariant() switch
    {
        "public" => RepliesPolicy.Public,
        "public-and-notes" => RepliesPolicy.PublicAndNotes,
        _ => RepliesPolicy.Off,
    };
}
