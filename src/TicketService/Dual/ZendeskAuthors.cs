using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Vendors.Zendesk;

namespace Ferry.TicketService.Dual;

/// <summary>The Intercom admin a Zendesk agent writes as, and whether it is the agent's own.</summary>
/// <param name="Byline">Set when the fallback admin writes for an agent without an Intercom admin of their own.</param>
public sealed record IntercomWriter(string AdminId, string? Byline);

/// <summary>
/// Zendesk agent → Intercom admin, for one attempt: the admin with the agent's email (the admin directory), else
/// the configured fallback admin (Status:IntercomAdminId / IntercomAdminEmail, the one the status round-trip closes
/// conversations as) with a byline naming the agent. Comment authors come side-loaded with the comments; one
/// that did not is read once per attempt.
/// </summary>
public sealed class ZendeskAuthors(ZendeskAccountClient users, IntercomAdminDirectory admins, FerryAdmin fallback)
{
    private readonly Dictionary<long, ZendeskUser?> _users = [];

    public async Task<ZendeskUser?> AuthorAsync(ZendeskComment comment, CancellationToken cancellationToken)
    {
        if (comment.AuthorId is not { } userId)
        {
            return null;
        }

        if (!_users.TryGetValue(userId, out var user))
        {
            user = _users[userId] = comment.Author ?? await users.GetUserAsync(userId, cancellationToken);
        }

        return user;
    }

    public async Task<IntercomWriter> WriterAsync(ZendeskUser agent, CancellationToken cancellationToken) =>
        agent.Email is { Length: > 0 } email && await admins.FindByEmailAsync(email, cancellationToken) is { } own
            ? new IntercomWriter(own.Id, null)
            : new IntercomWriter(await fallback.IdAsync(cancellationToken), $"{agent.Name ?? "A Zendesk agent"} (Zendesk agent) wrote:");
}
