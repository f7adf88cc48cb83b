using System.Collections.Concurrent;
using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Zendesk;

/// <summary>An email the emulated trigger sent to a ticket's requester about one comment.</summary>
public sealed record RequesterEmail(long TicketId, long RequesterId, long CommentId, string Body, DateTimeOffset At);

/// <summary>
/// Zendesk's standard trigger "Notify requester and CCs of comment update" (conditions: ticket is updated, comment is
/// public; action: email the requester), emulated as a counter a test can read: a ticket update through the API or an
/// agent adds a public comment → one email to the requester. Imports run no triggers and creations have their own
/// ("received request"), so neither counts. <see cref="ZendeskSandboxOptions.NotifyRequesterUnlessTags"/> adds the
/// condition "Tags contains none of …" that docs/DUAL.md recommends for Ferry's tickets.
/// </summary>
public sealed class RequesterNotifications(SandboxOptions options)
{
    private readonly ConcurrentQueue<RequesterEmail> _sent = new();

    public IReadOnlyList<RequesterEmail> Sent => [.. _sent];

    /// <summary>Call after an update, with the comment it added (null: none).</summary>
    public void OnUpdate(ZdTicket ticket, ZdComment? comment)
    {
        if (comment is not { Public: true } || ticket.Tags.Any(t => options.Zendesk.NotifyRequesterUnlessTags.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            return;
        }

        _sent.Enqueue(new RequesterEmail(ticket.Id, ticket.RequesterId, comment.Id, comment.Body, comment.CreatedAt));
    }

    public void Clear() => _sent.Clear();
}
