using Ferry.TicketService.Vendors.Zendesk;
using Ferry.V1;

namespace Ferry.TicketService.Sync;

/// <summary>Turns a thread item into the Zendesk comment Ferry writes: its author, its HTML and its re-uploaded files.</summary>
public sealed class CommentBuilder(Attachments.AttachmentsClient attachments)
{
    public async Task<NewComment> BuildAsync(SyncAttempt attempt, SyncPlan plan, ThreadItem item)
    {
        var author = await plan.Authors.ResolveAsync(item.Author, plan.Requester.UserId, plan.Requester.ContactId, attempt.Cancellation);
        IReadOnlyList<string>? uploads = null;
        var notCopied = new List<string>();
        if (item.Attachments.Count > 0)
        {
            var request = new CopyRequest { ConversationId = attempt.ConversationId, PartId = item.PartId };
            request.Attachments.AddRange(item.Attachments.Select(a => new SourceAttachment { Url = a.Url, Name = a.Name, ContentType = a.ContentType ?? "", Size = a.Filesize ?? 0 }));
            var copy = await attachments.CopyAsync(request, cancellationToken: attempt.Cancellation);
            if (!string.IsNullOrEmpty(copy.UploadToken))
            {
                uploads = [copy.UploadToken];
            }

            notCopied.AddRange(copy.Files.Where(f => f.Outcome != CopyOutcome.Copied).Select(f => $"{f.Name}: {f.Reason}"));
        }

        return new NewComment(author.UserId, TicketPlanner.CommentHtml(item, author.Byline, notCopied), Public: !item.IsPrivate, uploads);
    }
}
