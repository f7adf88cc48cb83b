using System.Globalization;

namespace Ferry.IdentityService.Matching;

/// <summary>Operator correction: point a contact at a chosen (existing, active) Zendesk user.</summary>
public sealed class LinkOverrides(LinkStore links, IServiceProvider services)
{
    public async Task<LinkView> OverrideAsync(string? contactId, long zendeskUserId, string? reason, CancellationToken ct)
    {
        var id = contactId?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            throw new InvalidContactException("intercom_contact_id is required.");
        }

        if (zendeskUserId <= 0)
        {
            throw new InvalidContactException("zendesk_user_id must be a positive Zendesk user id.");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new InvalidContactException("reason is required: it is kept in the link history.");
        }

        var user = await services.GetRequiredService<ZendeskUsersClient>().GetUserAsync(zendeskUserId, ct);
        if (user is not { Active: true })
        {
            throw new MatchPreconditionException(string.Create(CultureInfo.InvariantCulture,
                $"Zendesk user {zendeskUserId} does not exist or is deleted; pick an active user."));
        }

        await using (var tx = await links.BeginResolveAsync(["contact:" + id], ct))
        {
            var previous = await tx.GetAsync(id, ct);
            await tx.UpsertAsync(id, zendeskUserId, MatchMethod.Override, [], previous?.ExternalId, ct);
            await tx.AddHistoryAsync(id, previous?.ZendeskUserId, zendeskUserId, MatchMethod.Override, "override: " + reason.Trim(), ct);
            await tx.ResolveConflictsAsync(id, "override", ct);
            await tx.CommitAsync(ct);
        }

        return await links.GetViewAsync(id, ct) ?? throw new LinkNotFoundException(id);
    }
}
