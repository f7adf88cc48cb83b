using Ferry.Sandbox.Common;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Webhooks;

namespace Ferry.Sandbox.Admin;

/// <summary>
/// /admin/intercom: teams, and what a teammate changes on a conversation besides its parts (tags, priority). As in
/// Intercom, a tag added sends <c>conversation_part.tag.created</c> and a priority changed <c>conversation.priority.updated</c>;
/// a tag removed sends nothing.
/// </summary>
public static class ConversationAttributeEndpoints
{
    public static void MapConversationAttributes(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/intercom");
        admin.MapPost("/teams", (TeamInput input, IntercomState i) =>
        {
            if (string.IsNullOrWhiteSpace(input.Name) || (input.AdminIds ?? []).Any(id => i.Admin(id) is null))
            {
                return Results.BadRequest("name is required and admin_ids must name existing admins.");
            }

            var team = i.AddTeam(input.Name, input.AdminIds ?? []);
            return SandboxJson.Result(new { type = "team", id = team.Id, name = team.Name, admin_ids = team.AdminIds }, 201);
        });
        admin.MapPatch("/conversations/{id}", (string id, AttributesInput input, IntercomState i, WebhookDispatcher w) =>
        {
            if (input.Priority is not (null or "none" or "low" or "medium" or "high" or "urgent" or "priority" or "not_priority"))
            {
                return Results.BadRequest("priority must be none, low, medium, high, urgent, priority or not_priority.");
            }

            lock (i.Gate)
            {
                if (i.Conversation(id) is not { } conversation)
                {
                    return Results.NotFound();
                }

                var tagged = false;
                if (input.Tags is { } tags)
                {
                    var before = conversation.Tags.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
                    conversation.Tags.Clear();
                    conversation.Tags.AddRange(tags.Select(i.Tag));
                    tagged = conversation.Tags.Any(t => !before.Contains(t.Id));
                }

                var prioritised = input.Priority is { } priority && priority != conversation.Priority;
                conversation.Priority = input.Priority ?? conversation.Priority;
                if (tagged)
                {
                    w.IntercomConversation("conversation_part.tag.created", id);
                }

                if (prioritised)
                {
                    w.IntercomConversation("conversation.priority.updated", id);
                }

                return Results.NoContent();
            }
        });
    }
}

public sealed record TeamInput(string? Name, List<string>? AdminIds);

/// <param name="Tags">The conversation's tags, by name, replacing the current ones.</param>
public sealed record AttributesInput(List<string>? Tags, string? Priority);
