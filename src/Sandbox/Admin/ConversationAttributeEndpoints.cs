using Ferry.Sandbox.Common;
using Ferry.Sandbox.Intercom;

namespace Ferry.Sandbox.Admin;

/// <summary>
/// /admin/intercom: teams, and what a teammate changes on a conversation besides its parts (tags, priority). Such
/// changes send no webhook Ferry subscribes to (as in Intercom); the next sync of the conversation reads them.
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
        admin.MapPatch("/conversations/{id}", (string id, AttributesInput input, IntercomState i) =>
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

                if (input.Tags is { } tags)
                {
                    conversation.Tags.Clear();
                    conversation.Tags.AddRange(tags.Select(i.Tag));
                }

                conversation.Priority = input.Priority ?? conversation.Priority;
                return Results.NoContent();
            }
        });
    }
}

public sealed record TeamInput(string? Name, List<string>? AdminIds);

/// <param name="Tags">The conversation's tags, by name, replacing the current ones.</param>
public sealed record AttributesInput(List<string>? Tags, string? Priority);
