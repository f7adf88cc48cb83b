using Ferry.TicketService.Dual;

namespace Ferry.TicketService.Sync;

/// <summary>
/// The Zendesk user Ferry's API credentials belong to (<c>GET /api/v2/users/me</c>), read once per process. It is
/// the author Ferry names for the company's side of a thread when the writer has no Zendesk user of their own (a bot,
/// a team, a teammate without an agent): named, so nothing rests on Zendesk's default for a comment without an author
/// (the reference says the authenticated user; the sandbox's imports make it the requester's, and there such a reply
/// would read as the customer's).
/// </summary>
public sealed class ZendeskApiUser(IServiceScopeFactory scopes)
{
    private long _id;

    public async Task<long> IdAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _id) is var known and > 0)
        {
            return known;
        }

        // Two attempts asking at once both read it: the answer is the same, and it is read once per process after that.
        await using var scope = scopes.CreateAsyncScope();
        var self = await scope.ServiceProvider.GetRequiredService<ZendeskAccountClient>().GetCurrentUserAsync(cancellationToken);
        Volatile.Write(ref _id, self.Id);
        return self.Id;
    }
}
