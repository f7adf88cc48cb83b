using System.Text.Json.Serialization;

namespace Ferry.TicketService.Vendors.Zendesk;

// Zendesk Support API shapes (only what Ferry sends and reads).

public sealed record ZendeskTicket(long Id, string? ExternalId, string Status, long? RequesterId, long? AssigneeId, long? GroupId, string? Subject, IReadOnlyList<string>? Tags, DateTimeOffset? UpdatedAt);

public sealed record ZendeskTicketEnvelope(ZendeskTicket Ticket);

/// <summary>The answer to a ticket update: the ticket and the audit of what changed.</summary>
public sealed record ZendeskTicketUpdated(ZendeskTicket Ticket, ZendeskAudit? Audit)
{
    /// <summary>The comment this update added (the audit's "Comment" event), if it added one.</summary>
    public long? CommentId => Audit?.Events?.FirstOrDefault(e => e.Type == "Comment")?.Id;
}

public sealed record ZendeskAudit(IReadOnlyList<ZendeskAuditEvent>? Events);

public sealed record ZendeskAuditEvent(long Id, string? Type);

public sealed record ZendeskTicketList(IReadOnlyList<ZendeskTicket> Tickets);

public sealed record ZendeskComment(long Id, long? AuthorId, string? Body, string? HtmlBody, bool Public, DateTimeOffset? CreatedAt, IReadOnlyList<ZendeskAttachment>? Attachments = null)
{
    /// <summary>The author, when the page was read with its users side-loaded (<c>include=users</c>).</summary>
    [JsonIgnore]
    public ZendeskUser? Author { get; init; }
}

/// <summary>A Zendesk user as a comment's author: only what choosing the Intercom author needs.</summary>
public sealed record ZendeskUser(long Id, string? Name, string? Email, string? Role)
{
    public bool IsAgent => Role is "agent" or "admin";
}

/// <summary>A comment's file; <see cref="ContentUrl"/> is where Zendesk serves it (and what an agent opens).</summary>
public sealed record ZendeskAttachment(long Id, string FileName, string ContentUrl, string? ContentType, long Size);

/// <param name="Users">The comments' authors, when asked for with <c>include=users</c>.</param>
public sealed record ZendeskCommentList(IReadOnlyList<ZendeskComment> Comments, string? NextPage, IReadOnlyList<ZendeskUser>? Users = null);

public sealed record ImportComment(
    long? AuthorId,
    DateTimeOffset CreatedAt,
    string HtmlBody,
    bool Public,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Uploads);

public sealed record TicketImport(
    long RequesterId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? AssigneeId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? GroupId,
    string Subject,
    IReadOnlyList<string> Tags,
    string ExternalId,
    string Status,
    DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? SolvedAt,
    IReadOnlyList<ImportComment> Comments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Priority = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ZendeskCustomField>? CustomFields = null);

/// <summary>One entry of a ticket's custom_fields: a ticket field id and its value (text, number, bool or tagger option tag).</summary>
public sealed record ZendeskCustomField(long Id, object Value);

public sealed record NewComment(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? AuthorId,
    string HtmlBody,
    bool Public,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Uploads);

/// <summary>PUT /api/v2/tickets/{id} with one comment (at most one per update); field changes: ZendeskAccountClient.UpdateFieldsAsync.</summary>
public sealed record TicketUpdate(
    NewComment Comment,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? AdditionalTags = null);

/// <summary>POST /api/v2/tickets for a follow-up of a closed ticket.</summary>
public sealed record FollowUpTicket(
    long ViaFollowupSourceId,
    long RequesterId,
    string Subject,
    string ExternalId,
    IReadOnlyList<string> Tags,
    NewComment Comment,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? GroupId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Priority = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ZendeskCustomField>? CustomFields = null);
