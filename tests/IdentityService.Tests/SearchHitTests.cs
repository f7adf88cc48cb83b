using Ferry.V1;
using Grpc.Core;

namespace Ferry.IdentityService.Tests;

/// <summary>
/// Zendesk user search is full text (partial values, `*` wildcards): a hit is only a match when the user
/// holds the contact's address itself. Each test uses its own domain, so other tests' users never interfere.
/// </summary>
public sealed class SearchHitTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewDomain() => $"acme-{Guid.NewGuid():N}.test";

    [Fact]
    public async Task A_wildcard_address_never_becomes_or_links_to_another_customer_of_the_domain()
    {
        var domain = NewDomain();
        var alice = host.Sandbox.Zendesk.AddUser("Alice", $"alice@{domain}");
        var bob = host.Sandbox.Zendesk.AddUser("Bob", $"bob@{domain}");

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New($"*@{domain}")), cancellationToken: Ct);

        Assert.NotEqual(alice.Id, reply.ZendeskUserId);
        Assert.NotEqual(bob.Id, reply.ZendeskUserId);
        Assert.Equal(MatchMethod.Created, reply.Method);
        Assert.Equal([$"alice@{domain}"], host.Sandbox.Zendesk.User(alice.Id)!.Identities.Select(i => i.Value));
        Assert.Equal([$"bob@{domain}"], host.Sandbox.Zendesk.User(bob.Id)!.Identities.Select(i => i.Value));
    }

    [Fact]
    public async Task A_user_whose_address_merely_contains_the_contacts_is_not_a_match()
    {
        var domain = NewDomain();
        var jimBob = host.Sandbox.Zendesk.AddUser("Jim Bob", $"jim.bob@{domain}", secondaryEmails: [$"jimbob@{domain}"]);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New($"bob@{domain}")), cancellationToken: Ct);

        Assert.NotEqual(jimBob.Id, reply.ZendeskUserId);
        Assert.Equal(MatchMethod.Created, reply.Method);
        Assert.Equal(2, host.Sandbox.Zendesk.User(jimBob.Id)!.Identities.Count);
    }

    [Fact]
    public async Task The_exact_owner_is_found_among_partial_hits_even_as_a_secondary_identity()
    {
        var domain = NewDomain();
        host.Sandbox.Zendesk.AddUser("Jim Bob", $"jim.bob@{domain}");
        var owner = host.Sandbox.Zendesk.AddUser("Bob", $"robert@{domain}", secondaryEmails: [$"bob@{domain}"]);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New($"BOB@{domain}")), cancellationToken: Ct);

        Assert.Equal(owner.Id, reply.ZendeskUserId);
        Assert.Equal(MatchMethod.SecondaryEmail, reply.Method);
    }

    [Fact]
    public async Task Unicode_forms_and_international_domains_match_the_user_holding_the_punycode_address()
    {
        var existing = host.Sandbox.Zendesk.AddUser("Ana", $"ana-{Guid.NewGuid():N}@xn--bcher-kva.example");
        var local = existing.Email![..existing.Email!.IndexOf('@', StringComparison.Ordinal)];

        // "Ü" decomposed (U + combining diaeresis), upper case: NFC, lower case and punycode make it the same address.
        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New($" {local.ToUpperInvariant()}@BU\u0308CHER.example ")), cancellationToken: Ct);

        Assert.Equal(existing.Id, reply.ZendeskUserId);
        Assert.Equal(MatchMethod.PrimaryEmail, reply.Method);
    }

    [Theory]
    [InlineData("bob smith@acme.test")]
    [InlineData("\"bob\"@acme.test")]
    [InlineData("bob@acme.test OR email:alice@acme.test")]
    [InlineData("no-at-sign.acme.test")]
    [InlineData("two@at@acme.test")]
    [InlineData("@acme.test")]
    [InlineData("bob@")]
    [InlineData("bob..smith@acme.test")]
    [InlineData("bob@acme..test")]
    public async Task An_address_that_is_not_an_address_is_refused_and_nothing_is_created_or_linked(string address)
    {
        var usersBefore = host.Sandbox.Zendesk.Users().Count;
        var contact = Contacts.New(Contacts.NewEmail(), others: address);

        var refused = await Assert.ThrowsAsync<RpcException>(() => host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("contact.other_emails[0] is not an email address", refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(address, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(usersBefore, host.Sandbox.Zendesk.Users().Count);
        var missing = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }
}
