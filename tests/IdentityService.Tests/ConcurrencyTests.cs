using Ferry.Testing;
using Ferry.V1;

namespace Ferry.IdentityService.Tests;

/// <summary>50 simultaneous resolves of one brand-new contact create exactly one Zendesk user.</summary>
public sealed class ConcurrencyTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    [Fact]
    public Task Fifty_simultaneous_resolves_of_a_new_contact_create_exactly_one_user() => RaceAsync(host);

    [Fact]
    public async Task Fifty_simultaneous_resolves_of_different_contacts_sharing_an_address_create_one_user()
    {
        var email = Contacts.NewEmail("shared");
        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(email)), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync));

        Assert.Single(replies.Select(r => r.ZendeskUserId).Distinct());
        Assert.Equal(1, host.UsersWithEmail(email));
        Assert.Single(replies, r => r.Method == MatchMethod.Created);
    }

    internal static async Task RaceAsync(IdentityHost host)
    {
        var email = Contacts.NewEmail("race");
        var contact = Contacts.New(email, "ext-" + Guid.NewGuid().ToString("N"), "user", Contacts.NewEmail("race-other"));

        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync));

        Assert.Single(replies.Select(r => r.ZendeskUserId).Distinct());
        Assert.Single(replies, r => r.Method == MatchMethod.Created);
        Assert.All(replies.Where(r => r.Method != MatchMethod.Created), r => Assert.Equal(MatchMethod.ExistingLink, r.Method));
        Assert.Equal(1, host.UsersWithEmail(email));
        Assert.Equal(1, host.UsersWithEmail(contact.OtherEmails[0]));
        Assert.Equal(1, host.UsersWithExternalId(contact.ExternalId));
    }
}

/// <summary>Redis down: slower, never duplicated (the Postgres advisory locks carry correctness).</summary>
public sealed class RedisDownTests(RedisDownIdentityHost host) : IClassFixture<RedisDownIdentityHost>
{
    [Fact]
    public Task Fifty_simultaneous_resolves_with_Redis_down_still_create_exactly_one_user() => ConcurrencyTests.RaceAsync(host);

    [Fact]
    public async Task Unmatched_admin_with_fallback_none_gets_no_assignee()
    {
        var reply = await host.Client.ResolveAgentAsync(new ResolveAgentRequest
        {
            Admin = new Admin { IntercomAdminId = "a-none", Name = "Nobody", Email = Contacts.NewEmail("nobody") },
        }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.False(reply.Matched);
        Assert.True(reply.UsedFallback);
        Assert.Equal("none", reply.Fallback);
        Assert.Equal(0, reply.ZendeskAgentId);
    }
}
