using Ferry.IdentityService.Extensions;

namespace Ferry.IdentityService.Matching;

/// <summary>
/// Many contacts at once (a backfill's batch), by <see cref="RequesterResolver"/>'s rules and locks, with the
/// Zendesk calls batched. A fresh link answers without Zendesk; a stale one goes through the live resolve.
/// The rest, under one transaction holding every contact's advisory locks (sorted, as live resolves take
/// them, so neither deadlocks): one users/show_many by external_id per 100; a contact whose only address
/// is that user's primary email (or that has no address) is matched without a search; one with no user
/// and at most one address goes to users/create_many, which refuses a taken address or external_id, and a
/// refused one goes through the live lookups (email search first, so the address's owner wins as live);
/// any other contact (several addresses, or an external_id user with another address) takes the live path.
/// </summary>
public sealed class BatchRequesterResolver(
    LinkStore links,
    RequesterResolver requesters,
    IServiceProvider services,
    IdentityTelemetry telemetry,
    TimeProvider time)
{
    public const int MaxContacts = 100;

    private ZendeskUsersClient Zendesk => services.GetRequiredService<ZendeskUsersClient>();

    public async Task<(IReadOnlyList<ResolvedRequester> Results, int ZendeskCalls)> ResolveAsync(IReadOnlyList<ContactInput> contacts, bool dryRun, CancellationToken ct)
    {
        if (contacts.Count > MaxContacts)
        {
            throw new InvalidContactException($"At most {MaxContacts} contacts per call.");
        }

        using var calls = ZendeskCallCounter.Begin();
        var results = new Dictionary<string, ResolvedRequester>(StringComparer.Ordinal);
        var work = new List<ContactInput>();
        var now = time.GetUtcNow();
        var known = await links.GetManyAsync([.. contacts.Select(c => c.ContactId)], ct);
        foreach (var contact in contacts.DistinctBy(c => c.ContactId))
        {
            var link = known.GetValueOrDefault(contact.ContactId);
            if (link is not null && (dryRun || !requesters.NeedsWork(link, contact, false, now)))
            {
                results[contact.ContactId] = new ResolvedRequester(link.ZendeskUserId, MatchMethod.ExistingLink, null, 0);
            }
            else if (link is not null)
            {
                results[contact.ContactId] = await requesters.ResolveAsync(contact, false, ct);
            }
            else
            {
                work.Add(contact);
            }
        }

        if (work.Count > 0)
        {
            var resolved = dryRun ? await PlanAsync(work, ct) : await MatchOrCreateAsync(work, ct);
            foreach (var (id, result) in resolved)
            {
                results[id] = result;
            }
        }

        return ([.. contacts.Select(c => results[c.ContactId])], calls.Count);
    }

    /// <summary>
    /// The dry run: the real run's lookups, no writes. For a contact the real run would send to create_many,
    /// the search create_many stands in for (its address's owner, else created, user 0). Two contacts of one
    /// person in the same batch both count as created: the real run creates one and matches the other.
    /// </summary>
    private async Task<Dictionary<string, ResolvedRequester>> PlanAsync(List<ContactInput> work, CancellationToken ct)
    {
        var byExternalId = await UsersByExternalIdAsync(work, ct);
        var results = new Dictionary<string, ResolvedRequester>(StringComparer.Ordinal);
        foreach (var contact in work)
        {
            var decision = Shortcut(contact, byExternalId) ?? (ToCreate(contact, byExternalId)
                ? MatchRules.Decide(contact.ExternalId, contact.PrimaryEmail is { } email ? await requesters.FindOwnerAsync(email, ct) : null, contact.PrimaryEmail, null)
                : (await requesters.LookupAsync(contact, ct)).Decision);
            results[contact.ContactId] = new ResolvedRequester(decision.User?.Id ?? 0, decision.Method, decision.Conflict, 0);
        }

        return results;
    }

    private async Task<Dictionary<string, ResolvedRequester>> MatchOrCreateAsync(List<ContactInput> work, CancellationToken ct)
    {
        var results = new Dictionary<string, ResolvedRequester>(StringComparer.Ordinal);
        await using var tx = await links.BeginResolveAsync(work.SelectMany(RequesterResolver.LockKeys), ct);
        var unlinked = new List<ContactInput>();
        foreach (var contact in work)
        {
            // Another resolver may have linked it while this one waited for the locks.
            if (await tx.GetAsync(contact.ContactId, ct) is { } link)
            {
                results[contact.ContactId] = new ResolvedRequester(link.ZendeskUserId, MatchMethod.ExistingLink, null, 0);
            }
            else
            {
                unlinked.Add(contact);
            }
        }

        var byExternalId = await UsersByExternalIdAsync(unlinked, ct);
        var toCreate = new List<ContactInput>();
        var slow = new List<ContactInput>();
        foreach (var contact in unlinked)
        {
            if (Shortcut(contact, byExternalId) is { User: { } user } decision)
            {
                await tx.UpsertAsync(contact.ContactId, user.Id, decision.Method, contact.Emails, contact.ZendeskExternalId, ct);
                results[contact.ContactId] = new ResolvedRequester(user.Id, decision.Method, null, 0);
            }
            else if (ToCreate(contact, byExternalId))
            {
                toCreate.Add(contact);
            }
            else
            {
                slow.Add(contact);
            }
        }

        foreach (var chunk in toCreate.Chunk(ZendeskUsersClient.MaxPerBulkCall))
        {
            var created = await Zendesk.CreateManyAsync([.. chunk.Select(c => new ZendeskUserInput(c.DisplayName, c.PrimaryEmail, c.ZendeskExternalId))], ct);
            foreach (var (contact, index) in chunk.Select((c, i) => (c, i)))
            {
                if (created.FirstOrDefault(r => r.Index == index) is { Success: true, Id: { } userId })
                {
                    await tx.UpsertAsync(contact.ContactId, userId, MatchMethod.Created, contact.Emails, contact.ZendeskExternalId, ct);
                    results[contact.ContactId] = new ResolvedRequester(userId, MatchMethod.Created, null, 0);
                }
                else
                {
                    // Its address (or external_id) is taken: the live lookups find the owner, email first.
                    slow.Add(contact);
                }
            }
        }

        foreach (var contact in slow)
        {
            var (userId, method, conflict) = await requesters.MatchOrCreateAsync(contact, tx, null, ct);
            if (conflict is not null)
            {
                telemetry.RecordConflict(conflict);
            }

            results[contact.ContactId] = new ResolvedRequester(userId, method, conflict, 0);
        }

        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>No user holds its external_id and it has at most one address: create_many, which refuses a taken address.</summary>
    private static bool ToCreate(ContactInput contact, Dictionary<string, ZendeskUser> byExternalId) =>
        contact.Emails.Count <= 1 && (contact.ZendeskExternalId is null || !byExternalId.ContainsKey(contact.ZendeskExternalId));

    private async Task<Dictionary<string, ZendeskUser>> UsersByExternalIdAsync(List<ContactInput> contacts, CancellationToken ct)
    {
        var users = new Dictionary<string, ZendeskUser>(StringComparer.Ordinal);
        var wanted = contacts.Select(c => c.ZendeskExternalId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        foreach (var chunk in wanted.Chunk(ZendeskUsersClient.MaxPerBulkCall))
        {
            foreach (var user in await Zendesk.ShowManyByExternalIdAsync(chunk, ct))
            {
                if (user.ExternalId is { } id)
                {
                    users.TryAdd(id, user);
                }
            }
        }

        return users;
    }

    /// <summary>
    /// The decision the live lookups would reach, when the external_id answer settles it: the contact's only
    /// address is that user's primary email (addresses are unique in Zendesk, so the email search would
    /// find the same user), or the contact has no address at all. Null: the live lookups are needed.
    /// </summary>
    private static MatchDecision? Shortcut(ContactInput contact, Dictionary<string, ZendeskUser> byExternalId)
    {
        if (contact.ZendeskExternalId is not { } externalId || !byExternalId.TryGetValue(externalId, out var user))
        {
            return null;
        }

        return contact.Emails.Count switch
        {
            0 => MatchRules.Decide(contact.ExternalId, null, null, user),
            1 when EmailAddress.Normalize(user.Email) == contact.PrimaryEmail => MatchRules.Decide(contact.ExternalId, user, contact.PrimaryEmail, user),
            _ => null,
        };
    }
}
