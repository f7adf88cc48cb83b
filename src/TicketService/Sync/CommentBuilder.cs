using Ferry.V1;

namespace Ferry.TicketService.Sync;

/// <summary>Turns a thread item into the Zendesk comment Ferry writes: its author, its HTML and its re-uploaded files.</summary>
public sealed class CommentBuilder(Attachments.AttachmentsClient attachments, AttachmentNoteWriter attachmentNotes)
{
    /// <summary>The comment Ferry writes for <paramref name="item"/>, before attachments: what recognition compares.</summary>
    public Task<ExpectedComment> ExpectedAsync(SyncAttempt attempt, SyncPlan plan, ThreadItem item) => ExpectedAsync(plan, item, attempt.Cancellation);

    private static async Task<ExpectedComment> ExpectedAsync(SyncPlan plan, ThreadItem item, CancellationToken cancellationToken)
    {
        var author = await plan.Authors.ResolveAsync(item.Author, plan.Requester.UserId, plan.Requester.ContactId, cancellationToken);
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
        var (comment, note) = await BuildAsync(attempt.ConversationId, plan, item, attempt.Cancellation);
        if (note is not null && appendTo is not null)
        {
            await attachmentNotes.WriteOnceAsync(attempt, plan, appendTo, note);
        }

        return (comment, note);
    }

    /// <summary>The part's comment for an import (the note, if any, goes right after it); also what a backfill batch builds.</summary>
    public async Task<(NewComment Comment, ThreadItem? Note)> BuildAsync(string conversationId, SyncPlan plan, ThreadItem item, CancellationToken cancellationToken)
    {
        var expected = await ExpectedAsync(plan, item, cancellationToken);
        if (item.Attachments.Count == 0)
        {
            return (new NewComment(expected.AuthorId, expected.Html, Public: !item.IsPrivate, null), null);
        }

        var request = new CopyRequest { ConversationId = conversationId, PartId = item.PartId };
        request.Attachments.AddRange(item.Attachments.Select(a => new SourceAttachment { Url = a.Url, Name = a.Name, ContentType = a.ContentType ?? "", Size = a.Filesize ?? 0 }));
        var copy = await attachments.CopyAsync(request, cancellationToken: cancellationToken);
        var refused = AttachmentNotes.Refused(conversationId, item.PartId, copy.Files);
        IReadOnlyList<string>? uploads = string.IsNullOrEmpty(copy.UploadToken) ? null : [copy.UploadToken];
        if (refused.Count == 0 || item.IsPrivate)
        {
            var html = refused.Count == 0 ? expected.Html : expected.Html + AttachmentNotes.Folded(refused);
            return (new NewComment(expected.AuthorId, html, Public: !item.IsPrivate, uploads), null);
        }

        return (new NewComment(expected.AuthorId, expected.Html, Public: true, uploads), AttachmentNotes.Note(item, refused));
    }
}
