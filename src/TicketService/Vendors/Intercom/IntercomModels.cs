using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.TicketService.Vendors.Intercom;

// Only the fields Ferry reads (Intercom API 2.16). Ids are strings; some arrive as numbers.

public sealed record IntercomConversation(
    [property: JsonConverter(typeof(FlexibleStringConverter))] string Id,
    string? Title,
    long CreatedAt,
    long UpdatedAt,
    string? State,
    bool Open,
    [property: JsonConverter(typeof(FlexibleStringConverter))] string? AdminAssigneeId,
    [property: JsonConverter(typeof(FlexibleStringConverter))] string? TeamAssigneeId,
    IntercomTagList? Tags,
    IntercomSource? Source,
    IntercomContactList? Contacts,
    IntercomPartList? ConversationParts,
    Dictionary<string, JsonElement>? CustomAttributes,
    string? Priority,
    IntercomStatistics? Statistics = null);

/// <summary>Search results carry no parts; the statistics tell how many there are.</summary>
public sealed record IntercomStatistics(int? CountConversationParts);

public sealed record IntercomTagList(IReadOnlyList<IntercomTag>? Tags);

public sealed record IntercomTag([property: JsonConverter(typeof(FlexibleStringConverter))] string Id, string Name);

public sealed record IntercomSource(
    [property: JsonConverter(typeof(FlexibleStringConverter))] string Id,
    string? Subject,
    string? Body,
    string? DeliveredAs,
    IntercomAuthor? Author,
    IReadOnlyList<IntercomAttachment>? Attachments,
    string? Type = null);

public sealed record IntercomAuthor(
    [property: JsonConverter(typeof(FlexibleStringConverter))] string? Id,
    string Type,
    string? Name,
    string? Email);

public sealed record IntercomAttachment(string? Type, string Name, string Url, string? ContentType, long? Filesize);

public sealed record IntercomContactList(IReadOnlyList<IntercomContactRef>? Contacts);

public sealed record IntercomContactRef([property: JsonConverter(typeof(FlexibleStringConverter))] string Id, string? ExternalId);

public sealed record IntercomPartList(IReadOnlyList<IntercomPart>? ConversationParts, int TotalCount);

public sealed record IntercomPart(
    [property: JsonConverter(typeof(FlexibleStringConverter))] string Id,
    string PartType,
    string? Body,
    long CreatedAt,
    IntercomAuthor? Author,
    IReadOnlyList<IntercomAttachment>? Attachments,
    IntercomAssignee? AssignedTo);

public sealed record IntercomAssignee(string? Type, [property: JsonConverter(typeof(FlexibleStringConverter))] string? Id);

public sealed record IntercomContact(
    [property: JsonConverter(typeof(FlexibleStringConverter))] string Id,
    string? Role,
    string? Email,
    string? ExternalId,
    string? Name);

/// <summary>
/// POST /conversations/{id}/reply as an admin; <see cref="CreatedAt"/> keeps the time the message was written elsewhere;
/// <see cref="AttachmentFiles"/> (≤ 10) carry files inside the request.
/// </summary>
public sealed record IntercomReply(
    string MessageType,
    string Type,
    string AdminId,
    string Body,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<IntercomAttachmentFile>? AttachmentFiles = null);

/// <summary>One of a reply's attachment_files: the file itself, base64 in <see cref="Data"/>.</summary>
public sealed record IntercomAttachmentFile(string ContentType, string Data, string Name);

public sealed record IntercomAdmin([property: JsonConverter(typeof(FlexibleStringConverter))] string Id, string? Name, string? Email);

public sealed record IntercomTeam([property: JsonConverter(typeof(FlexibleStringConverter))] string Id, string Name);

public sealed record IntercomTeamList(IReadOnlyList<IntercomTeam>? Teams);

public sealed record IntercomAdminList(IReadOnlyList<IntercomAdmin>? Admins);

public sealed record IntercomSearchPage(IReadOnlyList<IntercomConversation>? Conversations, IntercomPages? Pages, int TotalCount);

public sealed record IntercomPages(IntercomNextPage? Next);

public sealed record IntercomNextPage(string? StartingAfter);

/// <summary>Reads a JSON string or number as a string (Intercom is not consistent about id types).</summary>
public sealed class FlexibleStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => reader.GetDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"Expected a string or number, got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
