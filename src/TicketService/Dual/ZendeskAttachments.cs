using System.Globalization;
using System.Net;
using Ferry.TicketService.Sync;
using Ferry.V1;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Dual;

/// <summary>A Zendesk comment's files as its Intercom reply takes them: inside it, or named with a link (HTML list items) to go in a note.</summary>
public sealed record ReplyFiles(IReadOnlyList<IntercomAttachmentFile> Files, string? Links)
{
    public static ReplyFiles None { get; } = new([], null);
}

/// <summary>
/// Zendesk → Intercom attachments (docs/DUAL.md). Each file is read through AttachmentService's Fetch (the same
/// SSRF-safe download, allowed hosts and caps as the Intercom → Zendesk direction) and goes into the reply's
/// attachment_files. A file over <see cref="DualOptions.MaxAttachmentBytes"/> (by Zendesk's declared size, else
/// while reading), past Intercom's 10 per reply, or refused for good is listed with a link to it in Zendesk instead.
/// A file that may still be read holds the comment back (<see cref="AttachmentsNotCopiedException"/>): nothing is sent.
/// </summary>
public sealed class ZendeskAttachments(Attachments.AttachmentsClient attachments, IOptions<DualOptions> options)
{
    /// <summary>Intercom's limit on attachment_files per reply.</summary>
    public const int MaxFilesPerReply = 10;

    public async Task<ReplyFiles> PrepareAsync(string conversationId, ZendeskComment comment, CancellationToken cancellationToken)
    {
        if (comment.Attachments is not { Count: > 0 } sources)
        {
            return ReplyFiles.None;
        }

        var cap = options.Value.MaxAttachmentBytes;
        var tooLarge = $"larger than the {Size(cap)} limit for files in Intercom replies";
        var files = new List<IntercomAttachmentFile>();
        var links = new List<string>();
        foreach (var source in sources)
        {
            if (files.Count == MaxFilesPerReply || source.Size > cap)
            {
                links.Add(Link(source, files.Count == MaxFilesPerReply ? $"Intercom takes at most {MaxFilesPerReply} files per reply" : tooLarge));
                continue;
            }

            var request = new FetchRequest
            {
                Attachment = new SourceAttachment { Url = source.ContentUrl, Name = source.FileName, ContentType = source.ContentType ?? "", Size = source.Size },
                MaxBytes = cap,
            };
            var fetched = await attachments.FetchAsync(request, cancellationToken: cancellationToken);
            switch (fetched.File.Outcome)
            {
                case CopyOutcome.Copied:
                    files.Add(new IntercomAttachmentFile(fetched.File.ContentType, Convert.ToBase64String(fetched.Data.Span), fetched.File.Name));
                    break;
                case CopyOutcome.Refused:
                    links.Add(Link(source, fetched.File.Refusal == CopyRefusal.TooLarge ? tooLarge : "Ferry could not read it from Zendesk"));
                    break;
                default:
                    throw new AttachmentsNotCopiedException(conversationId, $"zendesk-comment:{comment.Id}", [$"{fetched.File.Name}: {fetched.File.Reason}"]);
            }
        }

        return new ReplyFiles(files, links.Count == 0 ? null : string.Concat(links));
    }

    /// <summary>The files' list for the end of an internal note (its own body carries it).</summary>
    public static string Folded(string links) => $"<p><strong>Attachments not carried to Intercom:</strong></p><ul>{links}</ul>";

    /// <summary>The separate note for a public reply (the customer must not get Zendesk links): says which reply, then the list.</summary>
    public static string Note(ZendeskComment comment, string links) =>
        $"<p>Attachments of the Zendesk reply of {comment.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC, open them in Zendesk:</p><ul>{links}</ul>";

    private static string Link(ZendeskAttachment file, string why) =>
        $"<li><a href=\"{WebUtility.HtmlEncode(file.ContentUrl)}\">{WebUtility.HtmlEncode(file.FileName)}</a> ({Size(file.Size)}): {WebUtility.HtmlEncode(why)}</li>";

    private static string Size(long bytes) => bytes >= 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB");
}
