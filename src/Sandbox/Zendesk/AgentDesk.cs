using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Webhooks;

namespace Ferry.Sandbox.Zendesk;

/// <summary>
/// What an agent does in Zendesk's agent workspace (not through the API): a public reply or an internal note on a
/// ticket. Zendesk runs its triggers on it: the comment trigger's webhook (docs/WEBHOOKS.md), the status trigger's
/// when the status changed, and the requester notification (<see cref="RequesterNotifications"/>) for a public reply.
/// </summary>
public sealed class AgentDesk(ZendeskState state, WebhookDispatcher webhooks, RequesterNotifications notifications)
{
    /// <param name="status">A status to set with the comment (Submit as …), or null.</param>
    /// <param name="uploads">Upload tokens whose files the comment carries (<see cref="ZendeskState.AddUpload"/>), or null.</param>
    public Outcome<ZdComment> Comment(long ticketId, long agentId, string html, bool isPublic, string? status = null, IReadOnlyList<string>? uploads = null)
    {
        var comment = new JsonObject { ["author_id"] = agentId, ["html_body"] = html, ["public"] = isPublic };
        if (uploads is not null)
        {
            comment["uploads"] = new JsonArray([.. uploads.Select(t => (JsonNode)t)]);
        }

        var update = new JsonObject { ["comment"] = comment };
        if (status is not null)
        {
            update["status"] = status;
        }

        lock (state.Gate)
        {
            if (state.User(agentId) is not { Role: "agent" or "admin" })
            {
                return Outcome<ZdComment>.Fail(VendorErrors.ZendeskInvalid("author_id", $"Author: user {agentId} is not an agent"));
            }

            var result = state.UpdateTicket(ticketId, update);
            if (result.Error is not null)
            {
                return Outcome<ZdComment>.Fail(result.Error);
            }

            var (ticket, oldStatus) = result.Value;
            var added = ticket.Comments[^1];
            notifications.OnUpdate(ticket, added);
            webhooks.ZendeskCommentAdded(ticket, added);
            if (oldStatus is not null)
            {
                webhooks.ZendeskStatusChanged(ticket);
            }

            return added;
        }
    }
}
