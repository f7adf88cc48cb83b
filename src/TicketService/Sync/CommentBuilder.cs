using Ferry.V1;

namespace Ferry.TicketService.Sync;

/// <summary>Turns a thread item into the Zendesk comment Ferry writes: its author, its HTML and its re-uploaded files.</summary>
public sealed class CommentBuilder(Attachments.AttachmentsClient attachments, AttachmentNoteWriter attachmentNotes)
{
    /// <summary>The comment Ferry writes for <paramref name="item"/>, before attachments: what recognition compares.</summary>
    public async Task<ExpectedComment> ExpectedAsync(SyncAttempt attempt, SyncPlan plan, ThreadItem item)
    {
        var author = await plan.Authors.ResolveAsync(item.Author, plan.Requester.UserId, plan.Requester.ContactId, attempt.Cancellation);
        return new ExpectedComment(item, author.UserId, TicketPlanner.CommentHtml(item, author.Byline));
    }

    /// <summary>
    /// The part's comment with its copied files. A file that may still be copied holds the part back
    /// (<see cref="AttachmentsNotCopiedException"/>); refused files are named in a private note: inside a
    /// private part's own comment, else a separate note, which an append (<paramref name="appendTo"/>)
    /// writes here, before the comment, and an import adds right after it.
    /// </summary>
    public async Task<(NewComment Comment, ThreadItem? Note)> BuildAsync(SyncAttempt attempt, SyncPlan plan, ThreadItem item, TicketState? appendTo = null)
    {
        var expected = await ExpectedAsync(attempt, plan, item);
        if (item.Attachments.Count == 0)
        {
            return (new NewComment(expected.AuthorId, expected.Html, Public: !item.IsPrivate, null), null);
        }

        var request = new CopyRequest { ConversationId = attempt.ConversationId, PartId = item.PartId };
        request.Attachments.AddRange(item.Attachments.Select(a => new SourceAttachment { Url = a.Url, Name = a.Name, ContentType = a.ContentType ?? "", Size = a.Filesize ?? 0 }));
        var copy = await attachments.CopyAsync(request, cancellationToken: attempt.Cancellation);
        var refused = AttachmentNotes.Refused(attempt.ConversationId, item.PartId, copy.Files);
        IReadOnlyList<string>? uploads = string.IsNullOrEmpty(copy.UploadToken) ? null : [copy.UploadToken];
        if (refused.Count == 0 || item.IsPrivate)
        {
            var html = refused.Count == 0 ? expected.Html : expected.Html + AttachmentNotes.Folded(refused);
            return (new NewComment(expected.AuthorId, html, Public: !item.IsPrivate, uploads), null);
        }

        var note = AttachmentNotes.Note(item, refused);
        if (appendTo is not null)
        {
            await attachmentNotes.WriteOnceAsync(attempt, plan, appendTo, note);
        }

        return (new NewComment(expected.AuthorId, expected.Html, Public: true, uploads), note);
    }
}
