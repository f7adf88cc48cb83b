using Ferry.V1;

namespace Ferry.TicketService.Sync;

/// <summary>A Zendesk author for a thread item; a byline is added when the author has no Zendesk user of their own.</summary>
public sealed record ZendeskAuthor(long? UserId, string? Byline);

/// <summary>
/// Resolves Intercom authors to Zendesk users for one attempt (cached per attempt): users and leads
/// through IdentityService.ResolveRequester, admins through ResolveAgent (never created), bots and
/// teams to the fallback agent with a byline.
/// </summary>
public sealed class AuthorDirectory(IntercomClient intercom, Identity.IdentityClient identity)
{
    private readonly Dictionary<string, ZendeskAuthor> _cache = new(StringComparer.Ordinal);

    public int IdentityCalls { get; private set; }

    /// <summary>A contact resolved beforehand (a backfill batch resolves its contacts in one call).</summary>
    public void Known(string contactId, long zendeskUserId) => _cache[$"contact:{contactId}"] = new ZendeskAuthor(zendeskUserId, null);

    public async Task<long> ResolveContactAsync(string contactId, CancellationToken cancellationToken)
    {
        var key = $"contact:{contactId}";
        if (_cache.TryGetValue(key, out var cached) && cached.UserId is { } known)
        {
            return known;
        }

        var contact = await intercom.GetContactAsync(contactId, cancellationToken)
            ?? throw new InvalidOperationException($"Intercom contact {contactId} no longer exists.");
        var request = new ResolveRequesterRequest
        {
            Contact = new Contact
            {
                IntercomContactId = contact.Id,
                Role = contact.Role ?? "user",
                Name = contact.Name ?? "",
                Email = contact.Email ?? "",
                ExternalId = contact.ExternalId ?? "",
            },
        };
        IdentityCalls++;
        var reply = await identity.ResolveRequesterAsync(request, cancellationToken: cancellationToken);
        _cache[key] = new ZendeskAuthor(reply.ZendeskUserId, null);
        return reply.ZendeskUserId;
    }

    /// <summary>The assignee for the conversation's admin, or null for no assignee.</summary>
    public async Task<(long? AgentId, long? GroupId)> ResolveAssigneeAsync(string? adminId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(adminId) || adminId == "0")
        {
            return (null, null);
        }

        var admin = await intercom.GetAdminAsync(adminId, cancellationToken);
        if (admin is null)
        {
            return (null, null);
        }

        var reply = await ResolveAgentAsync(admin.Id, admin.Name, admin.Email, cancellationToken);
        return (reply.ZendeskAgentId == 0 ? null : reply.ZendeskAgentId, reply.ZendeskGroupId == 0 ? null : reply.ZendeskGroupId);
    }

    public async Task<ZendeskAuthor> ResolveAsync(IntercomAuthor? author, long requesterId, string? requesterContactId, CancellationToken cancellationToken)
    {
        if (author is null)
        {
            return new ZendeskAuthor(requesterId, null);
        }

        switch (author.Type)
        {
            case "user" or "lead" or "contact":
                if (author.Id is null || author.Id == requesterContactId)
                {
                    return new ZendeskAuthor(requesterId, null);
                }

                return new ZendeskAuthor(await ResolveContactAsync(author.Id, cancellationToken), null);
            case "admin":
                var key = $"admin:{author.Id}";
                if (!_cache.TryGetValue(key, out var resolved))
                {
                    var reply = await ResolveAgentAsync(author.Id ?? "", author.Name, author.Email, cancellationToken);
                    resolved = reply.Matched
                        ? new ZendeskAuthor(reply.ZendeskAgentId, null)
                        : new ZendeskAuthor(reply.ZendeskAgentId == 0 ? null : reply.ZendeskAgentId, $"{author.Name ?? "An Intercom teammate"} (Intercom teammate) wrote:");
                    _cache[key] = resolved;
                }

                return resolved;
            default:
                // Bots and teams have no Zendesk user: the fallback author with a byline saying who wrote it.
                return new ZendeskAuthor(null, $"{author.Name ?? author.Type} (Intercom {author.Type}) wrote:");
        }
    }

    private async Task<ResolveAgentReply> ResolveAgentAsync(string adminId, string? name, string? email, CancellationToken cancellationToken)
    {
        IdentityCalls++;
        return await identity.ResolveAgentAsync(new ResolveAgentRequest
        {
            Admin = new Admin { IntercomAdminId = adminId, Name = name ?? "", Email = email ?? "" },
        }, cancellationToken: cancellationToken);
    }
}
