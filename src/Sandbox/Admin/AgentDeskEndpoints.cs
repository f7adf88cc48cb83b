using Ferry.Sandbox.Common;
using Ferry.Sandbox.Zendesk;

namespace Ferry.Sandbox.Admin;

/// <summary>/admin/zendesk: an agent's reply or note written in Zendesk, and the requester emails Zendesk's trigger sent.</summary>
public static class AgentDeskEndpoints
{
    public static void MapAgentDesk(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/zendesk");
        admin.MapPost("/tickets/{id:long}/agent-comments", (long id, AgentCommentInput input, HttpRequest request, AgentDesk desk, ZendeskState z) =>
        {
            if (input.AuthorId is not { } author || string.IsNullOrWhiteSpace(input.Body))
            {
                return Results.BadRequest("author_id and body are required.");
            }

            var result = desk.Comment(id, author, input.Body, input.Public ?? true, input.Status);
            if (result.Error is not null)
            {
                return result.Error;
            }

            lock (z.Gate)
            {
                return SandboxJson.Result(new { comment = ZendeskJson.Comment(result.Value!, ZendeskEndpoints.Base(request)) }, 201);
            }
        });
        admin.MapGet("/notifications", (RequesterNotifications notifications) => SandboxJson.Result(new
        {
            emails = notifications.Sent.Select(e => new { ticket_id = e.TicketId, requester_id = e.RequesterId, comment_id = e.CommentId, body = e.Body, sent_at = SandboxJson.Iso(e.At) }),
        }));
    }
}

/// <param name="Status">Submit as this status (optional).</param>
public sealed record AgentCommentInput(long? AuthorId, string? Body, bool? Public, string? Status);
