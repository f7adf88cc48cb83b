using System.Text.Json;
using Ferry.TicketService.Sync;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Dual;

/// <summary>The ticket fields that follow the conversation; custom field values as JSON text, to compare.</summary>
public sealed record FollowedFields(IReadOnlyList<string> Tags, string? Priority, long? AssigneeId, long? GroupId, IReadOnlyDictionary<long, string> CustomFields);

/// <summary>
/// What fields follow decided for one sync: the changes for the ticket's one update (sent by <see cref="RoundTrip.StatusSync"/>,
/// together with a status change if there is one) and the fields to record once they are on the ticket.
/// </summary>
public sealed record FieldsUpdate(long TicketId, IReadOnlyDictionary<string, object?> Changes, FollowedFields Desired, bool Record);

/// <summary>
/// Fields follow (docs/DUAL.md): on every sync of an existing ticket, the fields the conversation and the rules decide
/// (tags, priority — the rules', else Dual:PriorityMap's —, rule-mapped custom fields, assignee and group; a team
/// without a Rules:TeamGroups entry goes to the Zendesk group with the team's name) are compared with what Ferry last
/// set, and what differs goes to Zendesk in the sync's one update (with the status, when that changes too): tags as
/// additional_tags / remove_tags, so tags agents add in Zendesk stay.
/// </summary>
public sealed partial class FieldsFollow(
    ZendeskAccountClient account,
    ZendeskTicketsClient tickets,
    IntercomClient intercom,
    NpgsqlDataSource db,
    IOptions<DualOptions> options,
    ILogger<FieldsFollow> logger)
{
    /// <returns>Null when fields do not follow (Dual:FieldsFollow off); no changes for a closed ticket, which takes no updates.</returns>
    public async Task<FieldsUpdate?> PlanAsync(SyncAttempt attempt, SyncPlan plan, TicketState ticket)
    {
        if (!options.Value.FieldsFollow)
        {
            return null;
        }

        var cancellationToken = attempt.Cancellation;
        var (desired, values) = await DesiredAsync(plan, cancellationToken);
        var recorded = await LastAsync(attempt.ConversationId, ticket.Id, cancellationToken);
        var last = recorded;
        if (last is null)
        {
            // First time for this ticket: the fields it has now, as far as Ferry would have set them.
            var seen = ticket.Seen ?? await tickets.GetAsync(ticket.Id, cancellationToken);
            last = desired with
            {
                Tags = [.. desired.Tags.Intersect(seen?.Tags ?? [])], Priority = plan.Routing.Priority, AssigneeId = seen?.AssigneeId, GroupId = seen?.GroupId,
            };
        }

        // Records compare their lists by reference: the stored JSON is what must be compared.
        var record = recorded is null || JsonSerializer.Serialize(recorded) != JsonSerializer.Serialize(desired);
        return new FieldsUpdate(ticket.Id, ticket.Status == "closed" ? new Dictionary<string, object?>() : Changes(last, desired, values), desired, record);
    }

    /// <summary>After the sync's update: what Ferry set is recorded, so the next sync sends only what differs from it.</summary>
    public async Task RecordAsync(SyncAttempt attempt, FieldsUpdate update)
    {
        if (update.Changes.Count > 0)
        {
            LogApplied(logger, attempt.ConversationId, update.TicketId, update.Changes.Keys);
        }

        if (update.Record)
        {
            await attempt.WriteAsync(tx => Record(tx, update.TicketId, update.Desired));
        }
    }

    private async Task<(FollowedFields Fields, IReadOnlyDictionary<long, object> Values)> DesiredAsync(SyncPlan plan, CancellationToken cancellationToken)
    {
        var routing = plan.Routing;
        var assignment = plan.Assignment;
        var team = plan.Conversation.TeamAssigneeId;
        if (routing.GroupId is null && team is { Length: > 0 } and not "0"
            && await GroupNamedAfterTeamAsync(team, cancellationToken) is { } group)
        {
            var (agent, agentGroup) = await plan.Authors.ResolveAssigneeAsync(plan.Conversation.AdminAssigneeId, cancellationToken);
            assignment = (routing with { GroupId = group }).Assign(agent, agentGroup);
        }

        var values = routing.CustomFields.ToDictionary(f => f.Id, f => f.Value);
        var priority = routing.Priority ?? (plan.Conversation.Priority is { } p && options.Value.PriorityMap.TryGetValue(p, out var mapped) ? mapped : null);
        return (new FollowedFields([.. routing.Tags.Order(StringComparer.Ordinal)], priority, assignment.AssigneeId, assignment.GroupId,
            values.ToDictionary(f => f.Key, f => JsonSerializer.Serialize(f.Value))), values);
    }

    private async Task<long?> GroupNamedAfterTeamAsync(string teamId, CancellationToken cancellationToken)
    {
        var name = (await intercom.ListTeamsAsync(cancellationToken)).FirstOrDefault(t => t.Id == teamId)?.Name;
        return name is null ? null
            : (await account.ListGroupsAsync(cancellationToken)).FirstOrDefault(g => !g.Deleted && string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase))?.Id;
    }

    private static Dictionary<string, object?> Changes(FollowedFields last, FollowedFields desired, IReadOnlyDictionary<long, object> values)
    {
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (desired.Tags.Except(last.Tags).ToList() is { Count: > 0 } added)
        {
            changes["additional_tags"] = added;
        }

        if (last.Tags.Except(desired.Tags).ToList() is { Count: > 0 } removed)
        {
            changes["remove_tags"] = removed;
        }

        if (desired.Priority != last.Priority)
        {
            changes["priority"] = desired.Priority;
        }

        if (desired.AssigneeId != last.AssigneeId)
        {
            changes["assignee_id"] = desired.AssigneeId;
        }

        // No group decided (e.g. an assignee outside the team's group) leaves the ticket's group to Zendesk.
        if (desired.GroupId is not null && desired.GroupId != last.GroupId)
        {
            changes["group_id"] = desired.GroupId;
        }

        var fields = desired.CustomFields.Where(f => !last.CustomFields.TryGetValue(f.Key, out var was) || was != f.Value)
            .Select(f => new ZendeskCustomField(f.Key, values[f.Key])).ToList();
        if (fields.Count > 0)
        {
            changes["custom_fields"] = fields;
        }

        return changes;
    }

    private async Task<FollowedFields?> LastAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT fields FROM sync.ticket_fields WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id");
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("ticket_id", ticketId);
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonSerializer.Deserialize<FollowedFields>(json) : null;
    }

    private static void Record(AttemptTransaction tx, long ticketId, FollowedFields fields)
    {
        var upsert = tx.Command("""
            INSERT INTO sync.ticket_fields (conversation_id, ticket_id, fields) VALUES (@conversation_id, @ticket_id, @fields)
            ON CONFLICT (conversation_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, fields = EXCLUDED.fields
            """);
        upsert.Parameters.AddWithValue("ticket_id", ticketId);
        upsert.Parameters.AddWithValue("fields", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(fields));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: fields followed the conversation ({Fields})")]
    private static partial void LogApplied(ILogger logger, string conversationId, long ticketId, IEnumerable<string> fields);
}
