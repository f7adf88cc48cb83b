using Ferry.Testing;
using Ferry.V1;

namespace Ferry.IdentityService.Tests;

/// <summary>ResolveRequesters (a backfill's batch): the live rules and outcomes, with the Zendesk calls batched; its dry run writes nothing.</summary>
public sealed class BatchResolveTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_matches_and_creates_as_live_resolves_do_without_duplicates_and_its_dry_run_writes_nothing()
    {
        var fresh = Contacts.New(Contacts.NewEmail("new"), externalId: "ext-" + Guid.NewGuid().ToString("N"));
        var returningEmail = Contacts.NewEmail("returning");
        var returning = Contacts.New(returningEmail, externalId: "ext-" + Guid.NewGuid().ToString("N"));
        var returningUser = host.Sandbox.Zendesk.AddUser("Returning", returningEmail, externalId: returning.ExternalId);
        var secondary = Contacts.NewEmail("secondary");
        var secondaryUser = host.Sandbox.Zendesk.AddUser("Two Addresses", Contacts.NewEmail("primary"), secondaryEmails: [secondary]);
        var bySecondary = Contacts.New(secondary);
        // The address belongs to one user, the external_id to another: the email owner wins, the conflict is recorded.
        var contestedEmail = Contacts.NewEmail("contested");
        var emailOwner = host.Sandbox.Zendesk.AddUser("Email Owner", contestedEmail);
        var contested = Contacts.New(contestedEmail, externalId: "ext-" + Guid.NewGuid().ToString("N"));
        host.Sandbox.Zendesk.AddUser("External Owner", Contacts.NewEmail("other"), externalId: contested.ExternalId);
        // Two contacts of one person in the same batch: one user.
        var sharedEmail = Contacts.NewEmail("shared");
        var twinA = Contacts.New(sharedEmail);
        var twinB = Contacts.New(sharedEmail);
        var linked = Contacts.New(Contacts.NewEmail("linked"));
        var linkedUser = (await host.Client.ResolveRequesterAsync(Contacts.Request(linked), cancellationToken: Ct)).ZendeskUserId;
        Contact[] batch = [fresh, returning, bySecondary, contested, twinA, twinB, linked];
        var usersBefore = host.Sandbox.Zendesk.Users().Count;

        var plan = await ResolveAsync(batch, dryRun: true);
        Assert.Equal(usersBefore, host.Sandbox.Zendesk.Users().Count);
        // The dry run cannot know the twins are one person: the real run creates one user and matches the other.
        Assert.Equal(
            [MatchMethod.Created, MatchMethod.PrimaryEmail, MatchMethod.SecondaryEmail, MatchMethod.PrimaryEmail, MatchMethod.Created, MatchMethod.Created, MatchMethod.ExistingLink],
            plan.Contacts.Select(c => c.Method));
        Assert.True(plan.Contacts[3].Conflict);

        var reply = await ResolveAsync(batch, dryRun: false);
        Assert.Equal(batch.Select(c => c.IntercomContactId), reply.Contacts.Select(c => c.IntercomContactId));
        Assert.Equal(
            [MatchMethod.Created, MatchMethod.PrimaryEmail, MatchMethod.SecondaryEmail, MatchMethod.PrimaryEmail, MatchMethod.Created, MatchMethod.PrimaryEmail, MatchMethod.ExistingLink],
            reply.Contacts.Select(c => c.Method));
        Assert.Equal(returningUser.Id, reply.Contacts[1].ZendeskUserId);
        Assert.Equal(secondaryUser.Id, reply.Contacts[2].ZendeskUserId);
        Assert.Equal((emailOwner.Id, true), (reply.Contacts[3].ZendeskUserId, reply.Contacts[3].Conflict));
        Assert.Equal(reply.Contacts[4].ZendeskUserId, reply.Contacts[5].ZendeskUserId);
        Assert.Equal(linkedUser, reply.Contacts[6].ZendeskUserId);
        Assert.Equal(1, host.UsersWithEmail(sharedEmail));
        Assert.Equal(1, host.UsersWithEmail(fresh.Email));
        Assert.Equal(usersBefore + 2, host.Sandbox.Zendesk.Users().Count);

        // Now every contact is linked: served without Zendesk, as live resolves are.
        var again = await ResolveAsync(batch, dryRun: false);
        Assert.All(again.Contacts, c => Assert.Equal(MatchMethod.ExistingLink, c.Method));
        Assert.Equal(0, again.ZendeskCalls);
        Assert.Equal(reply.Contacts.Select(c => c.ZendeskUserId), again.Contacts.Select(c => c.ZendeskUserId));
    }

    private async Task<ResolveRequestersReply> ResolveAsync(Contact[] contacts, bool dryRun)
    {
        var request = new ResolveRequestersRequest { DryRun = dryRun };
        request.Contacts.AddRange(contacts);
        return await host.Client.ResolveRequestersAsync(request, cancellationToken: Ct);
    }
}
