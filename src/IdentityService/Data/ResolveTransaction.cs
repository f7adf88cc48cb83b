using Ferry.IdentityService.Matching;
using Npgsql;

namespace Ferry.IdentityService.Data;

/// <summary>One resolve's transaction, holding the advisory locks until commit or dispose (rollback).</summary>
public sealed class ResolveTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, Action release) : IAsyncDisposable
{
    public async Task<LinkRecord?> GetAsync(string contactId, CancellationToken ct)
    {
        await using var command = Command($"SELECT {LinkStore.LinkColumns} FROM identity.contact_links WHERE intercom_contact_id = $1 FOR UPDATE", contactId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? LinkStore.ReadLink(reader) : null;
    }

    /// <summary>Inserts or replaces the link; emails_seen becomes the union of the old and new addresses.</summary>
    public async Task<LinkRecord> UpsertAsync(string contactId, long zendeskUserId, MatchMethod method, IEnumerable<string> emails, string? externalId, CancellationToken ct)
    {
        await using var command = Command($"""
            INSERT INTO identity.contact_links AS l (intercom_contact_id, zendesk_user_id, match_method, emails_seen, external_id, verified_at)
            VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT (intercom_contact_id) DO UPDATE SET
                zendesk_user_id = EXCLUDED.zendesk_user_id,
                match_method = EXCLUDED.match_method,
                emails_seen = ARRAY(SELECT DISTINCT e FROM unnest(l.emails_seen || EXCLUDED.emails_seen) e ORDER BY e),
                external_id = COALESCE(EXCLUDED.external_id, l.external_id),
                updated_at = now(),
                verified_at = now()
            RETURNING {LinkStore.LinkColumns}
            """, contactId, zendeskUserId, IdentityTelemetry.MethodName(method), emails.ToArray(), (object?)externalId ?? DBNull.Value);
        command.Parameters[4].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return LinkStore.ReadLink(reader);
    }

    public async Task AddEmailsSeenAsync(string contactId, IEnumerable<string> emails, CancellationToken ct)
    {
        await using var command = Command("""
            UPDATE identity.contact_links l
            SET emails_seen = ARRAY(SELECT DISTINCT e FROM unnest(l.emails_seen || $2::text[]) e ORDER BY e), updated_at = now()
            WHERE intercom_contact_id = $1
            """, contactId, emails.ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task MarkVerifiedAsync(string contactId, CancellationToken ct)
    {
        await using var command = Command("UPDATE identity.contact_links SET verified_at = now() WHERE intercom_contact_id = $1", contactId);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records a conflict once (the unique constraint ignores a repeat); true when it is new.</summary>
    public async Task<bool> RecordConflictAsync(string contactId, LinkConflict conflict, CancellationToken ct)
    {
        await using var command = Command("""
            INSERT INTO identity.link_conflicts (intercom_contact_id, kind, email_user_id, external_id_user_id, chosen_user_id, detail)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT ON CONSTRAINT link_conflicts_once DO NOTHING
            """, contactId, LinkConflict.KindName(conflict.Kind), (object?)conflict.EmailUserId ?? DBNull.Value,
            (object?)conflict.ExternalIdUserId ?? DBNull.Value, conflict.ChosenUserId, conflict.Detail);
        command.Parameters[2].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
        command.Parameters[3].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task ResolveConflictsAsync(string contactId, string resolution, CancellationToken ct)
    {
        await using var command = Command("""
            UPDATE identity.link_conflicts SET resolved_at = now(), resolution = $2
            WHERE intercom_contact_id = $1 AND resolved_at IS NULL
            """, contactId, resolution);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task AddHistoryAsync(string contactId, long? previousUserId, long userId, MatchMethod method, string reason, CancellationToken ct)
    {
        await using var command = Command("""
            INSERT INTO identity.link_history (intercom_contact_id, previous_zendesk_user_id, zendesk_user_id, match_method, reason)
            VALUES ($1, $2, $3, $4, $5)
            """, contactId, (object?)previousUserId ?? DBNull.Value, userId, IdentityTelemetry.MethodName(method), reason);
        command.Parameters[1].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
        await command.ExecuteNonQueryAsync(ct);
    }

    public Task CommitAsync(CancellationToken ct) => transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
        finally
        {
            release();
        }
    }

    private NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
