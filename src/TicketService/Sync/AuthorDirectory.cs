using System.Collections.Concurrent;
using Ferry.V1;

namespace Ferry.TicketService.Sync;

/// <summary>A Zendesk author for a thread item; a byline is added when the writer has no Zendesk user of their own.</summary>
public sealed record ZendeskAuthor(long UserId, string? Byline);

/// <summary>
/// Resolves Intercom authors to Zendesk users for one attempt (cached per attempt): users and leads
/// through IdentityService.ResolveRequester, admins through ResolveAgent (never created). Every item gets an author
/// of its own side, named: bots, teams and teammates without an agent (nor a fallback agent) write as Ferry's API user
/// (<see cref="ZendeskApiUser"/>), a contact no longer in Intercom as the requester, each with a byline saying who wrote
/// it. The cache holds each author's lookup, not its answer, so lookups started together (<see cref="WarmAsync"/>)
/// run concurrently and every author is asked once.
/// </summary>
public sealed class AuthorDirectory(IntercomClient intercom, Identity.IdentityClient identity, ZendeskApiUser apiUser)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Lookup>>> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<IntercomContact?>>> _contacts = new(StringComparer.Ordinal);
    private int _identityCalls;

    public int IdentityCalls => _identityCalls;

    /// <summary>A contact resolved beforehand (a backfill batch resolves its contacts in one call).</summary>
    public void Known(string contactId, long zendeskUserId) =>
        _cache[$"contact:{contactId}"] = new Lazy<Task<Lookup>>(Task.FromResult(new Lookup(zendeskUserId, null)));

    /// <summary>
    /// Starts reading a contact the attempt will probably resolve (the requester a webhook named) before the
    /// conversation has said so; a read nobody needs in the end is dropped, its failure included.
    /// </summary>
    public void ReadContactAhead(string contactId, CancellationToken cancellationToken) =>
        _ = ContactAsync(contactId, cancellationToken).ContinueWith(
            static read => _ = read.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>The Zendesk user of a contact that must have one (the requester): one no longer in Intercom is a retried fault.</summary>
    public async Task<long> ResolveContactAsync(string contactId, CancellationToken cancellationToken) =>
        (await ContactAuthorAsync(contactId, null, cancellationToken)).UserId
            ?? throw new InvalidOperationException($"Intercom contact {contactId} no longer exists.");

    /// <summary>
    /// Starts every lookup the authors of <paramref name="authors"/> need, at once (the requester is
    /// resolved by the caller); <see cref="ResolveAsync"/> then answers from them in thread order.
    /// </summary>
    public Task WarmAsync(IEnumerable<IntercomAuthor?> authors, string requesterContactId, CancellationToken cancellationToken) =>
        Task.WhenAll(authors.OfType<IntercomAuthor>().DistinctBy(a => (a.Type, a.Id)).Select(author => author.Type switch
        {
            "user" or "lead" or "contact" when author.Id is not null && author.Id != requesterContactId => ContactAuthorAsync(author.Id, author, cancellationToken),
            "admin" => AdminAsync(author, cancellationToken),
            "user" or "lead" or "contact" => Task.CompletedTask,
            _ => apiUser.IdAsync(cancellationToken),
        }));

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

                var contact = await ContactAuthorAsync(author.Id, author, cancellationToken);
                return new ZendeskAuthor(contact.UserId ?? requesterId, contact.Byline);
            case "admin":
                var admin = await AdminAsync(author, cancellationToken);
                return new ZendeskAuthor(admin.UserId!.Value, admin.Byline);
            default:
                // Bots and teams have no Zendesk user: Ferry's API user, with a byline saying who wrote it.
                return new ZendeskAuthor(await apiUser.IdAsync(cancellationToken), $"{author.Name ?? author.Type} (Intercom {author.Type}) wrote:");
        }
    }

    /// <summary>An author's lookup as cached: no user means the requester (a contact no longer in Intercom).</summary>
    private sealed record Lookup(long? UserId, string? Byline);

    private Task<Lookup> Cached(string key, Func<Task<Lookup>> lookup) =>
        _cache.GetOrAdd(key, _ => new Lazy<Task<Lookup>>(lookup)).Value;

    private Task<IntercomContact?> ContactAsync(string contactId, CancellationToken cancellationToken) =>
        _contacts.GetOrAdd(contactId, id => new Lazy<Task<IntercomContact?>>(() => intercom.GetContactAsync(id, cancellationToken))).Value;

    private Task<Lookup> ContactAuthorAsync(string contactId, IntercomAuthor? asWritten, CancellationToken cancellationToken) =>
        Cached($"contact:{contactId}", () => ResolveContactCoreAsync(contactId, asWritten, cancellationToken));

    /// <summary>
    /// A contact Intercom no longer has (deleted: 404) has nothing to match or create a Zendesk user from, and should
    /// not get one: a part it wrote is written on the customer's side, as the requester, with a byline naming it, so one
    /// participant's deletion does not hold back the rest of the conversation.
    /// </summary>
    private async Task<Lookup> ResolveContactCoreAsync(string contactId, IntercomAuthor? asWritten, CancellationToken cancellationToken)
    {
        if (await ContactAsync(contactId, cancellationToken) is not { } contact)
        {
            var type = asWritten?.Type ?? "contact";
            return new Lookup(null, $"{asWritten?.Name ?? $"An Intercom {type}"} (Intercom {type}, no longer in Intercom) wrote:");
        }

        return contact.Id == contactId
            ? await ResolveReadContactAsync(contact, cancellationToken)
            // A lead merged into a user: its parts are the user's, resolved once with the user's own (the requester, often).
            : await Cached($"contact:{contact.Id}", () => ResolveReadContactAsync(contact, cancellationToken));
    }

    private async Task<Lookup> ResolveReadContactAsync(IntercomContact contact, CancellationToken cancellationToken)
    {
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
        Interlocked.Increment(ref _identityCalls);
        var reply = await identity.ResolveRequesterAsync(request, cancellationToken: cancellationToken);
        return new Lookup(reply.ZendeskUserId, null);
    }

    /// <summary>A teammate without an agent writes as the fallback agent (Identity:Agents:Fallback), else as Ferry's API user.</summary>
    private Task<Lookup> AdminAsync(IntercomAuthor author, CancellationToken cancellationToken) =>
        Cached($"admin:{author.Id}", async () =>
        {
            var reply = await ResolveAgentAsync(author.Id ?? "", author.Name, author.Email, cancellationToken);
            return reply.Matched
                ? new Lookup(reply.ZendeskAgentId, null)
                : new Lookup(reply.ZendeskAgentId != 0 ? reply.ZendeskAgentId : await apiUser.IdAsync(cancellationToken),
                    $"{author.Name ?? "An Intercom teammate"} (Intercom teammate) wrote:");
        });

    private async Task<ResolveAgentReply> ResolveAgentAsync(string adminId, string? name, string? email, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _identityCalls);
        return await identity.ResolveAgentAsync(new ResolveAgentRequest
        {
            Admin = new Admin { IntercomAdminId = adminId, Name = name ?? "", Email = email ?? "" },
        }, cancellationToken: cancellationToken);
    }
}
