using Ferry.IdentityService.Extensions;
using Ferry.IdentityService.Locking;

namespace Ferry.IdentityService.Matching;

public sealed record ResolvedRequester(long ZendeskUserId, MatchMethod Method, LinkConflict? Conflict, int ZendeskCalls);

/// <summary>
/// Intercom contact → Zendesk end user, never a duplicate.
/// 1. The link table (served without calling Zendesk while the link is fresh and no new address appeared).
/// 2. Otherwise, under the Redis lock (efficiency) and the Postgres advisory locks (correctness):
///    every address of the contact (any identity, trimmed and case-insensitive) → external_id →
///    only then create_or_update (name, primary email, external_id) and add every other address.
/// New addresses on a linked contact are added to its user; a deleted user is re-resolved.
/// </summary>
public sealed partial class RequesterResolver(
    LinkStore links,
    RedisResolveLock redisLock,
    IServiceProvider services,
    IdentityTelemetry telemetry,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<RequesterResolver> logger)
{
    /// <summary>Search hits whose identities are read before giving up on finding the address's owner.</summary>
    private const int MaxCandidates = 5;

    private ZendeskUsersClient? _zendesk;

    /// <summary>Created on first use only: a link-table hit builds no HTTP client at all.</summary>
    private ZendeskUsersClient ZendeskClient => _zendesk ??= services.GetRequiredService<ZendeskUsersClient>();

    public async Task<ResolvedRequester> ResolveAsync(ContactInput contact, bool revalidate, CancellationToken ct)
    {
        using var activity = IdentityTelemetry.StartResolve(contact.ContactId);
        using var calls = ZendeskCallCounter.Begin();
        var (userId, method, conflict) = await ResolveCoreAsync(contact, revalidate, ct);
        var result = new ResolvedRequester(userId, method, conflict, calls.Count);
        telemetry.RecordResolve(activity, result);
        return result;
    }

    private async Task<(long, MatchMethod, LinkConflict?)> ResolveCoreAsync(ContactInput contact, bool revalidate, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var link = await links.GetAsync(contact.ContactId, ct);
        if (link is not null && !NeedsWork(link, contact, revalidate, started))
        {
            return (link.ZendeskUserId, MatchMethod.ExistingLink, null);
        }

        // Redis: one resolver per contact does the Zendesk work; the others poll for its link.
        var deadline = time.GetUtcNow() + options.Value.LockWait;
        var lease = await redisLock.TryAcquireAsync(contact.ContactId, options.Value.LockExpiry);
        while (lease.State == LeaseState.Busy && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 60)), time, ct);
            link = await links.GetAsync(contact.ContactId, ct);
            if (link is not null && !NeedsWork(link, contact, revalidate, started))
            {
                return (link.ZendeskUserId, MatchMethod.ExistingLink, null);
            }

            lease = await redisLock.TryAcquireAsync(contact.ContactId, options.Value.LockExpiry);
        }

        await using (lease)
        {
            // Postgres: the guarantee. Whatever Redis said, only the holder of these locks looks up and creates.
            await using var tx = await links.BeginResolveAsync(LockKeys(contact), ct);
            link = await tx.GetAsync(contact.ContactId, ct);
            if (link is not null && !NeedsWork(link, contact, revalidate, started))
            {
                return (link.ZendeskUserId, MatchMethod.ExistingLink, null);
            }

            var result = link is null
                ? await MatchOrCreateAsync(contact, tx, previous: null, ct)
                : await RefreshLinkAsync(contact, link, revalidate && link.VerifiedAt < started, tx, ct);
            await tx.CommitAsync(ct);
            if (result.Item3 is { } conflict)
            {
                telemetry.RecordConflict(conflict);
            }

            return result;
        }
    }

    /// <summary>A revalidation asked for at <paramref name="started"/> is satisfied by any verification since then.</summary>
    internal bool NeedsWork(LinkRecord link, ContactInput contact, bool revalidate, DateTimeOffset started) =>
        (revalidate && link.VerifiedAt < started)
        || link.VerifiedAt + options.Value.LinkVerifyAfter <= time.GetUtcNow()
        || contact.Emails.Any(e => !link.EmailsSeen.Contains(e, StringComparer.Ordinal));

    /// <summary>A linked contact: check the user still exists (when due), add addresses it did not have.</summary>
    private async Task<(long, MatchMethod, LinkConflict?)> RefreshLinkAsync(ContactInput contact, LinkRecord link, bool revalidate, ResolveTransaction tx, CancellationToken ct)
    {
        if (revalidate || link.VerifiedAt + options.Value.LinkVerifyAfter <= time.GetUtcNow())
        {
            var user = await ZendeskClient.GetUserAsync(link.ZendeskUserId, ct);
            if (user is not { Active: true })
            {
                LogLinkedUserGone(logger, contact.ContactId, link.ZendeskUserId);
                return await MatchOrCreateAsync(contact, tx, link, ct);
            }

            await tx.MarkVerifiedAsync(contact.ContactId, ct);
        }

        var newEmails = contact.Emails.Where(e => !link.EmailsSeen.Contains(e, StringComparer.Ordinal)).ToList();
        if (newEmails.Count == 0)
        {
            return (link.ZendeskUserId, MatchMethod.ExistingLink, null);
        }

        // The contact's address changed (or it gained one): the linked user gets it as an identity.
        var conflict = await AddIdentitiesAsync(contact.ContactId, link.ZendeskUserId, newEmails, tx, ct);
        await tx.AddEmailsSeenAsync(contact.ContactId, newEmails, ct);
        return (link.ZendeskUserId, MatchMethod.ExistingLink, conflict);
    }

    /// <summary>
    /// The lookups and the decision, no writes: every address in order, and external_id, ranked by
    /// <see cref="MatchRules.Decide"/>. The external_id lookup needs no address's answer, so it is in flight
    /// alongside them and a new contact waits one Zendesk round trip less. Its answer is left out when the
    /// address's owner already carries that external_id, as it was when the lookups ran one after the other.
    /// </summary>
    internal async Task<(MatchDecision Decision, string? MatchedEmail)> LookupAsync(ContactInput contact, CancellationToken ct)
    {
        var externalId = contact.ZendeskExternalId;
        using var lookups = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var byExternalIdLookup = externalId is null ? Task.FromResult<ZendeskUser?>(null) : ZendeskClient.FindByExternalIdAsync(externalId, lookups.Token);
        ZendeskUser? byEmail = null;
        string? matchedEmail = null;
        try
        {
            foreach (var email in contact.Emails)
            {
                byEmail = await FindOwnerAsync(email, ct);
                if (byEmail is not null)
                {
                    matchedEmail = email;
                    break;
                }
            }
        }
        catch
        {
            // The address lookup's failure is the one reported: the other lookup is stopped, and its end observed.
            await lookups.CancelAsync();
            await Task.WhenAny(byExternalIdLookup);
            _ = byExternalIdLookup.Exception;
            throw;
        }

        var byExternalId = await byExternalIdLookup;
        if (byEmail is not null && string.Equals(byEmail.ExternalId, externalId, StringComparison.Ordinal))
        {
            byExternalId = null;
        }

        return (MatchRules.Decide(contact.ExternalId, byEmail, matchedEmail, byExternalId), matchedEmail);
    }

    /// <summary>Under the caller's locks: links the user the lookups find, or creates one (create_or_update) when all missed.</summary>
    internal async Task<(long, MatchMethod, LinkConflict?)> MatchOrCreateAsync(ContactInput contact, ResolveTransaction tx, LinkRecord? previous, CancellationToken ct)
    {
        var (decision, matchedEmail) = await LookupAsync(contact, ct);
        var externalId = contact.ZendeskExternalId;
        long userId;
        var method = decision.Method;
        IEnumerable<string> toAdd;
        if (decision.User is { } found)
        {
            userId = found.Id;
            toAdd = await MissingIdentitiesAsync(found, matchedEmail, contact, ct);
        }
        else
        {
            // Every lookup missed. create_or_update is idempotent by email/external_id: if the user
            // appeared in between (search lag, another process) Zendesk answers 200 with it.
            var (user, created) = await ZendeskClient.CreateOrUpdateAsync(
                new ZendeskUserInput(contact.DisplayName, contact.PrimaryEmail, externalId), ct);
            userId = user.Id;
            method = created ? MatchMethod.Created
                : string.Equals(EmailAddress.Normalize(user.Email), contact.PrimaryEmail, StringComparison.Ordinal) ? MatchMethod.PrimaryEmail
                : MatchMethod.ExternalId;
            toAdd = created ? contact.Emails.Skip(1) : await MissingIdentitiesAsync(user, null, contact, ct);
        }

        var identityConflict = await AddIdentitiesAsync(contact.ContactId, userId, [.. toAdd], tx: null, ct);
        await tx.UpsertAsync(contact.ContactId, userId, method, contact.Emails, externalId, ct);
        if (previous is not null)
        {
            await tx.AddHistoryAsync(contact.ContactId, previous.ZendeskUserId, userId, method, "linked Zendesk user deleted or gone", ct);
        }

        var conflict = decision.Conflict ?? identityConflict;
        foreach (var c in new[] { decision.Conflict, identityConflict })
        {
            if (c is not null)
            {
                await tx.RecordConflictAsync(contact.ContactId, c, ct);
            }
        }

        return (userId, method, conflict);
    }

    /// <summary>
    /// The user holding <paramref name="email"/> (normalised) as its primary address or any email identity.
    /// A search hit is only a candidate; at most <see cref="MaxCandidates"/> are checked identity by identity
    /// (missing the owner then is safe: create_or_update matches by email and answers with the existing user).
    /// </summary>
    internal async Task<ZendeskUser?> FindOwnerAsync(string email, CancellationToken ct)
    {
        var candidates = await ZendeskClient.SearchByEmailAsync(email, ct);
        if (candidates.FirstOrDefault(u => EmailAddress.Normalize(u.Email) == email) is { } primaryOwner)
        {
            return primaryOwner;
        }

        foreach (var candidate in candidates.Take(MaxCandidates))
        {
            var identities = await ZendeskClient.ListIdentitiesAsync(candidate.Id, ct);
            if (identities.Any(i => i.Type == "email" && EmailAddress.Normalize(i.Value) == email))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The contact's addresses the user does not hold yet (one identities call when there is more than one address).</summary>
    private async Task<IEnumerable<string>> MissingIdentitiesAsync(ZendeskUser user, string? matchedEmail, ContactInput contact, CancellationToken ct)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        if (EmailAddress.Normalize(user.Email) is { } primary)
        {
            known.Add(primary);
        }

        if (matchedEmail is not null)
        {
            known.Add(matchedEmail);
        }

        if (contact.Emails.All(known.Contains))
        {
            return [];
        }

        foreach (var identity in await ZendeskClient.ListIdentitiesAsync(user.Id, ct))
        {
            if (identity.Type == "email" && EmailAddress.Normalize(identity.Value) is { } value)
            {
                known.Add(value);
            }
        }

        return contact.Emails.Where(e => !known.Contains(e));
    }

    /// <summary>
    /// Adds addresses as email identities. A 422 means the address is taken: if another user holds it,
    /// that is a conflict (recorded; nothing merged); if this user does, nothing to do.
    /// </summary>
    private async Task<LinkConflict?> AddIdentitiesAsync(string contactId, long userId, IReadOnlyList<string> emails, ResolveTransaction? tx, CancellationToken ct)
    {
        LinkConflict? first = null;
        foreach (var email in emails)
        {
            var outcome = await ZendeskClient.AddEmailIdentityAsync(userId, email, ct);
            if (outcome == IdentityAddOutcome.UserNotFound)
            {
                throw new ZendeskException($"Zendesk user {userId} disappeared while adding identities.", transient: true, status: 404);
            }

            if (outcome == IdentityAddOutcome.Rejected && await FindOwnerAsync(email, ct) is { } owner && owner.Id != userId)
            {
                var conflict = new LinkConflict(ConflictKind.EmailOwnedByOtherUser, owner.Id, null, userId,
                    $"An address of the contact belongs to Zendesk user {owner.Id}; it was not added to user {userId} and nothing was merged.");
                first ??= conflict;
                if (tx is not null)
                {
                    await tx.RecordConflictAsync(contactId, conflict, ct);
                }
            }
        }

        return first;
    }

    internal static IEnumerable<string> LockKeys(ContactInput contact)
    {
        yield return "contact:" + contact.ContactId;
        foreach (var email in contact.Emails)
        {
            yield return "email:" + email;
        }

        if (contact.ZendeskExternalId is { } externalId)
        {
            yield return "external_id:" + externalId;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk user {ZendeskUserId} linked to contact {ContactId} is deleted or gone; re-resolving")]
    private static partial void LogLinkedUserGone(ILogger logger, string contactId, long zendeskUserId);
}
