using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.IdentityService.Extensions;
using Ferry.IdentityService.Matching;
using Npgsql;

namespace Ferry.IdentityService.Data;

/// <summary>Queries on identity.contact_links and identity.link_conflicts.</summary>
public sealed class LinkStore(NpgsqlDataSource db, IOptions<IdentityOptions> options) : IDisposable
{
    // Waiters on an advisory lock hold a connection: bound them so a burst cannot exhaust the pool or the server.
    private readonly SemaphoreSlim _resolveSlots = new(Math.Max(1, options.Value.MaxConcurrentResolveTransactions));

    internal const string LinkColumns =
        "intercom_contact_id, zendesk_user_id, match_method, emails_seen, external_id, created_at, updated_at, verified_at";

    /// <summary>The fast path: one primary-key lookup.</summary>
    public async Task<LinkRecord?> GetAsync(string contactId, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT {LinkColumns} FROM identity.contact_links WHERE intercom_contact_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = contactId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadLink(reader) : null;
    }

    /// <summary>The links of many contacts in one query (a backfill batch), by contact id.</summary>
    public async Task<Dictionary<string, LinkRecord>> GetManyAsync(IReadOnlyList<string> contactIds, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT {LinkColumns} FROM identity.contact_links WHERE intercom_contact_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = contactIds.ToArray() });
        var links = new Dictionary<string, LinkRecord>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var link = ReadLink(reader);
            links[link.ContactId] = link;
        }

        return links;
    }

    public async Task<LinkView?> GetViewAsync(string contactId, CancellationToken ct)
    {
        var link = await GetAsync(contactId, ct);
        if (link is null)
        {
            return null;
        }

        var conflicts = await ConflictsAsync([contactId], ct);
        return new LinkView(link, conflicts.GetValueOrDefault(contactId) ?? []);
    }

    /// <summary>Keyset pages ordered by contact id; <paramref name="after"/> is the last id of the previous page.</summary>
    public async Task<LinkPage> ListAsync(int pageSize, string? after, bool conflictsOnly, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            SELECT {LinkColumns} FROM identity.contact_links l
            WHERE ($1::text IS NULL OR l.intercom_contact_id > $1)
              AND (NOT $2 OR EXISTS (SELECT 1 FROM identity.link_conflicts c
                                     WHERE c.intercom_contact_id = l.intercom_contact_id AND c.resolved_at IS NULL))
            ORDER BY l.intercom_contact_id
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = conflictsOnly });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize + 1 });
        var links = new List<LinkRecord>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                links.Add(ReadLink(reader));
            }
        }

        string? next = null;
        if (links.Count > pageSize)
        {
            links.RemoveAt(pageSize);
            next = links[^1].ContactId;
        }

        var conflicts = await ConflictsAsync([.. links.Select(l => l.ContactId)], ct);
        return new LinkPage([.. links.Select(l => new LinkView(l, conflicts.GetValueOrDefault(l.ContactId) ?? []))], next);
    }

    /// <summary>
    /// Opens the serialisation point for resolving a contact: a transaction holding Postgres advisory
    /// locks on the contact, each of its addresses and its external_id (taken in sorted order, so two
    /// resolves never deadlock). Whoever holds them is the only one that may create a Zendesk user for
    /// those keys; the others wait and then find the link. Works without Redis.
    /// </summary>
    public async Task<ResolveTransaction> BeginResolveAsync(IEnumerable<string> lockKeys, CancellationToken ct)
    {
        await _resolveSlots.WaitAsync(ct);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await db.OpenConnectionAsync(ct);
            var transaction = await connection.BeginTransactionAsync(ct);

            // One round trip: the lock timeout, then the locks in order (a batch runs its statements in sequence).
            await using (var locks = new NpgsqlBatch(connection, transaction))
            {
                locks.BatchCommands.Add(new NpgsqlBatchCommand(
                    string.Create(CultureInfo.InvariantCulture, $"SET LOCAL lock_timeout = {(long)options.Value.DatabaseLockTimeout.TotalMilliseconds}")));
                foreach (var key in lockKeys.Select(LockKey).Distinct().Order())
                {
                    locks.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter { Value = key } } });
                }

                await locks.ExecuteNonQueryAsync(ct);
            }

            return new ResolveTransaction(connection, transaction, () => _resolveSlots.Release());
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            _resolveSlots.Release();
            throw;
        }
    }

    public void Dispose() => _resolveSlots.Dispose();

    /// <summary>A stable 64-bit advisory lock key for a string (first 8 bytes of its SHA-256).</summary>
    public static long LockKey(string key) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("ferry.identity:" + key)), 0);

    private async Task<Dictionary<string, List<ConflictRecord>>> ConflictsAsync(string[] contactIds, CancellationToken ct)
    {
        var result = new Dictionary<string, List<ConflictRecord>>(StringComparer.Ordinal);
        if (contactIds.Length == 0)
        {
            return result;
        }

        await using var command = db.CreateCommand("""
            SELECT intercom_contact_id, kind, email_user_id, external_id_user_id, chosen_user_id, detail, created_at, resolved_at IS NOT NULL
            FROM identity.link_conflicts WHERE intercom_contact_id = ANY($1) ORDER BY id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = contactIds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var conflict = new LinkConflict(
                LinkConflict.ParseKind(reader.GetString(1)),
                reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetString(5));
            var id = reader.GetString(0);
            if (!result.TryGetValue(id, out var list))
            {
                result[id] = list = [];
            }

            list.Add(new ConflictRecord(conflict, reader.GetFieldValue<DateTimeOffset>(6), reader.GetBoolean(7)));
        }

        return result;
    }

    internal static LinkRecord ReadLink(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1),
        IdentityTelemetry.ParseMethod(reader.GetString(2)),
        reader.GetFieldValue<string[]>(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetFieldValue<DateTimeOffset>(6),
        reader.GetFieldValue<DateTimeOffset>(7));
}
