using System.Globalization;
using System.Net;
using Ferry.V1;

namespace Ferry.TicketService.Sync;

/// <summary>
/// A part's attachments could not be copied yet for a reason that may pass (network, 5xx, 429, time
/// cap, an expired pre-signed URL). Transient: retry the job; the next attempt reads the conversation
/// again, which gives fresh URLs. The comment is not written without its files.
/// </summary>
public sealed class AttachmentsNotCopiedException(string conversationId, string partId, IReadOnlyList<string> files)
    : Exception($"Attachments of conversation {conversationId} part {partId} not copied yet, the part waits for a retry: {string.Join("; ", files)}")
{
    public string PartId => partId;
}

/// <summary>A file that will never be copied, and why in words fit for the ticket.</summary>
public sealed record RefusedFile(string Name, string Why);

/// <summary>
/// What becomes of a part's attachments that were not copied. Transient failures hold the part back
/// (<see cref="AttachmentsNotCopiedException"/>); permanent refusals are named in a private note with a
/// reason that never carries AttachmentService's own text (it may name hosts and addresses).
/// </summary>
public static class AttachmentNotes
{
    /// <summary>The note's first words; text recognition allows them after a private comment's own text.</summary>
    public const string FoldedHeader = "Ferry could not copy these attachments:";

    /// <summary>The ledger id of the separate private note about a public part's refused files.</summary>
    public static string NotePartId(string partId) => partId + ":files";

    public static bool IsNotePartId(string partId) => partId.EndsWith(":files", StringComparison.Ordinal);

    /// <summary>The refused files of a part; throws <see cref="AttachmentsNotCopiedException"/> when any file may still be copied.</summary>
    public static IReadOnlyList<RefusedFile> Refused(string conversationId, string partId, IReadOnlyList<CopiedFile> files)
    {
        var transient = files.Where(f => f.Outcome is not (CopyOutcome.Copied or CopyOutcome.Refused)).ToList();
        if (transient.Count > 0)
        {
            throw new AttachmentsNotCopiedException(conversationId, partId, [.. transient.Select(f => $"{f.Name}: {f.Reason}")]);
        }

        return [.. files.Where(f => f.Outcome == CopyOutcome.Refused).Select(f => new RefusedFile(f.Name, Why(f.Refusal)))];
    }

    public static string Why(CopyRefusal refusal) => refusal switch
    {
        CopyRefusal.SourceNotAllowed => "its download location is not one Ferry is allowed to fetch from",
        CopyRefusal.TooLarge => "it is larger than the attachment size limit",
        CopyRefusal.Empty => "it is empty (0 bytes), which Zendesk does not accept",
        CopyRefusal.Rejected => "Zendesk did not accept the file",
        CopyRefusal.Gone => "it is no longer available in Intercom",
        _ => "it could not be copied",
    };

    /// <summary>The list of refused files, added at the end of a private part's own comment.</summary>
    public static string Folded(IReadOnlyList<RefusedFile> refused) =>
        $"<p><strong>{WebUtility.HtmlEncode(FoldedHeader)}</strong></p><ul>"
        + string.Concat(refused.Select(f => $"<li>{WebUtility.HtmlEncode(f.Name)}: {WebUtility.HtmlEncode(f.Why)}</li>")) + "</ul>";

    /// <summary>The separate private note for a public part: says which message, then the list.</summary>
    public static ThreadItem Note(ThreadItem part, IReadOnlyList<RefusedFile> refused) =>
        new(NotePartId(part.PartId), "note", null,
            $"<p>Attachments of the message of {part.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC:</p>" + Folded(refused),
            part.CreatedAt, []);
}
