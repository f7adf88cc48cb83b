using Ferry.IdentityService.Extensions;
using Ferry.IdentityService.Matching;
using Npgsql;

namespace Ferry.IdentityService.Agents;

public sealed record AdminInput(string AdminId, string Name, string? Email, string? TeamId);

public sealed record ResolvedAgent(long? ZendeskAgentId, bool Matched, bool UsedFallback, string? Fallback, long? ZendeskGroupId);

/// <summary>
/// Intercom admin → Zendesk agent by email through the cached directory; unmatched → the configured
/// fallback (no assignee, or the default agent). Team → group from identity.team_groups, then configuration.
/// Each outcome is recorded in identity.agent_map.
/// </summary>
public sealed class AgentResolver(AgentDirectory directory, NpgsqlDataSource db, IdentityTelemetry telemetry, IOptions<IdentityOptions> options)
{
    public async Task<ResolvedAgent> ResolveAsync(AdminInput admin, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(admin.AdminId))
        {
            throw new InvalidContactException("admin.intercom_admin_id is required.");
        }

        var adminId = admin.AdminId.Trim();
        var snapshot = await directory.GetAsync(ct);
        var email = EmailAddress.Normalize(admin.Email);
        var agent = email is not null ? snapshot.ByEmail.GetValueOrDefault(email) : null;
        ResolvedAgent result;
        if (agent is not null)
        {
            result = new ResolvedAgent(agent.Id, Matched: true, UsedFallback: false, null, null);
        }
        else
        {
            var agents = options.Value.Agents;
            result = agents.Fallback == AgentFallback.DefaultAgent && agents.DefaultAgentId > 0
                ? new ResolvedAgent(agents.DefaultAgentId, false, true, "default_agent", null)
                : new ResolvedAgent(null, false, true, "none", null);
        }

        result = result with { ZendeskGroupId = await GroupForTeamAsync(admin.TeamId, ct) };
        await RecordAsync(adminId, result, ct);
        telemetry.RecordAgent(result.Matched ? "matched" : "fallback_" + result.Fallback);
        return result;
    }

    public async Task<long?> GroupForTeamAsync(string? teamId, CancellationToken ct)
    {
        var team = teamId?.Trim();
        if (string.IsNullOrEmpty(team))
        {
            return null;
        }

        await using var command = db.CreateCommand("SELECT zendesk_group_id FROM identity.team_groups WHERE intercom_team_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = team });
        if (await command.ExecuteScalarAsync(ct) is long group)
        {
            return group;
        }

        return options.Value.TeamGroups.TryGetValue(team, out var configured) && configured > 0 ? configured : null;
    }

    private async Task RecordAsync(string adminId, ResolvedAgent result, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO identity.agent_map (intercom_admin_id, zendesk_agent_id, matched, updated_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (intercom_admin_id) DO UPDATE SET zendesk_agent_id = EXCLUDED.zendesk_agent_id, matched = EXCLUDED.matched, updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = adminId });
        command.Parameters.Add(new NpgsqlParameter { Value = result.Matched ? result.ZendeskAgentId!.Value : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = result.Matched });
        await command.ExecuteNonQueryAsync(ct);
    }
}
