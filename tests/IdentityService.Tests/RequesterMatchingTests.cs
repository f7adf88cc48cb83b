using Ferry.Testing;
using Ferry.V1;

namespace Ferry.IdentityService.Tests;

/// <summary>Every branch of ResolveRequester, through gRPC, against real Postgres/Redis and the Sandbox's Zendesk.</summary>
public sealed class RequesterMatchingTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task New_contact_is_created_once_then_served_from_the_link_table_without_Zendesk_calls()
    {
        var email = Contacts.NewEmail();
        var contact = Contacts.New(email, externalId: "ext-" + Guid.NewGuid().ToString("N"));

        var first = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        var second = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(MatchMethod.Created, first.Method);
        Assert.Equal(3, first.ZendeskCalls); // search email, search external_id, create_or_update
        Assert.Equal(MatchMethod.ExistingLink, second.Method);
        Assert.Equal(0, second.ZendeskCalls);
        Assert.Equal(first.ZendeskUserId, second.ZendeskUserId);
        Assert.Equal(1, host.UsersWithEmail(email));
        var user = host.Sandbox.Zendesk.User(first.ZendeskUserId)!;
        Assert.Equal(contact.ExternalId, user.ExternalId);
        Assert.Equal("Pat Customer", user.Name);
    }

    [Fact]
    public async Task A_new_contacts_address_and_external_id_lookups_are_in_flight_at_once()
    {
        // Neither lookup needs the other's answer: asked one after the other, a new contact waited a whole extra
        // Zendesk round trip. The sandbox holds each search 300 ms, so two that were in flight at once overlap.
        var email = Contacts.NewEmail();
        var externalId = "ext-" + Guid.NewGuid().ToString("N");
        host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings { Scope = "zendesk", LatencyMs = 300, PathContains = "/users/search" };
        ResolveRequesterReply reply;
        try
        {
            reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(email, externalId)), cancellationToken: Ct);
        }
        finally
        {
            host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings();
        }

        Assert.Equal(MatchMethod.Created, reply.Method);
        Assert.Equal(3, reply.ZendeskCalls);
        var searches = host.SentRequests.Where(r => r.Uri.AbsolutePath.EndsWith("/users/search", StringComparison.Ordinal)).ToList();
        var byEmail = Assert.Single(searches, r => Uri.UnescapeDataString(r.Uri.Query).Contains(email, StringComparison.Ordinal));
        var byExternalId = Assert.Single(searches, r => Uri.UnescapeDataString(r.Uri.Query).Contains(externalId, StringComparison.Ordinal));
        Assert.True(byExternalId.Sent < byEmail.Answered && byEmail.Sent < byExternalId.Answered,
            $"the searches did not overlap: by address {byEmail.Sent}–{byEmail.Answered}, by external_id {byExternalId.Sent}–{byExternalId.Answered} (Stopwatch ticks)");
    }

    [Fact]
    public async Task Primary_email_of_an_existing_Zendesk_user_matches()
    {
        var email = Contacts.NewEmail();
        var existing = host.Sandbox.Zendesk.AddUser("Existing", email);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(email)), cancellationToken: Ct);

        Assert.Equal(MatchMethod.PrimaryEmail, reply.Method);
        Assert.Equal(existing.Id, reply.ZendeskUserId);
        Assert.Equal(1, host.UsersWithEmail(email));
    }

    [Fact]
    public async Task Secondary_email_identity_already_in_Zendesk_matches_instead_of_creating()
    {
        var primary = Contacts.NewEmail("primary");
        var secondary = Contacts.NewEmail("secondary");
        var existing = host.Sandbox.Zendesk.AddUser("Two Addresses", primary, secondaryEmails: [secondary]);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(secondary)), cancellationToken: Ct);

        Assert.Equal(MatchMethod.SecondaryEmail, reply.Method);
        Assert.Equal(existing.Id, reply.ZendeskUserId);
        Assert.Equal(1, host.UsersWithEmail(secondary));
        Assert.Equal(1, host.UsersWithEmail(primary));
    }

    [Fact]
    public async Task Another_known_address_matches_and_the_new_primary_is_added_as_identity()
    {
        var known = Contacts.NewEmail("known");
        var fresh = Contacts.NewEmail("fresh");
        var existing = host.Sandbox.Zendesk.AddUser("Known", known);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(fresh, others: known)), cancellationToken: Ct);

        Assert.Equal(MatchMethod.PrimaryEmail, reply.Method);
        Assert.Equal(existing.Id, reply.ZendeskUserId);
        Assert.True(host.Sandbox.Zendesk.User(existing.Id)!.HasEmail(fresh));
        Assert.Equal(1, host.UsersWithEmail(fresh));
    }

    [Fact]
    public async Task Case_and_whitespace_differences_still_match()
    {
        var email = Contacts.NewEmail("MixedCase");
        var existing = host.Sandbox.Zendesk.AddUser("Mixed", email);
        var messy = "  " + email.ToUpperInvariant() + "\t";

        var contact = Contacts.New(messy);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(MatchMethod.PrimaryEmail, reply.Method);
        Assert.Equal(existing.Id, reply.ZendeskUserId);
        Assert.Equal(1, host.UsersWithEmail(email));
        var link = await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct);
        Assert.Equal([email.ToLowerInvariant()], link.EmailsSeen);
    }

    [Fact]
    public async Task External_id_matches_when_no_address_does_and_the_address_is_added()
    {
        var externalId = "ext-" + Guid.NewGuid().ToString("N");
        var existing = host.Sandbox.Zendesk.AddUser("No Email", null, externalId: externalId);
        var email = Contacts.NewEmail();

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(email, externalId)), cancellationToken: Ct);

        Assert.Equal(MatchMethod.ExternalId, reply.Method);
        Assert.Equal(existing.Id, reply.ZendeskUserId);
        Assert.True(host.Sandbox.Zendesk.User(existing.Id)!.HasEmail(email));
        Assert.Equal(1, host.UsersWithExternalId(externalId));
    }

    [Fact]
    public async Task Created_user_gets_every_other_known_address_as_identity()
    {
        var main = Contacts.NewEmail("main");
        var other1 = Contacts.NewEmail("other1");
        var other2 = Contacts.NewEmail("other2");

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(main, null, "user", other1, " " + other2.ToUpperInvariant())), cancellationToken: Ct);

        Assert.Equal(MatchMethod.Created, reply.Method);
        var user = host.Sandbox.Zendesk.User(reply.ZendeskUserId)!;
        Assert.Equal(main, user.Email);
        Assert.True(user.HasEmail(other1));
        Assert.True(user.HasEmail(other2));
        Assert.Equal(1, host.UsersWithEmail(other2));
    }

    [Fact]
    public async Task Lead_without_email_gets_one_user_keyed_by_its_Intercom_id_as_external_id()
    {
        var lead = Contacts.New(role: "lead");
        lead.Name = "";

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(lead), cancellationToken: Ct);

        Assert.Equal(MatchMethod.Created, reply.Method);
        var user = host.Sandbox.Zendesk.User(reply.ZendeskUserId)!;
        Assert.Equal("intercom-contact-" + lead.IntercomContactId, user.ExternalId);
        Assert.Equal("Intercom lead " + lead.IntercomContactId, user.Name);

        // The link table lost (e.g. restored backup): the external_id finds the same user, nothing new is created.
        await host.ExecuteAsync($"DELETE FROM identity.contact_links WHERE intercom_contact_id = '{lead.IntercomContactId}'");
        var again = await host.Client.ResolveRequesterAsync(Contacts.Request(lead), cancellationToken: Ct);
        Assert.Equal(MatchMethod.ExternalId, again.Method);
        Assert.Equal(reply.ZendeskUserId, again.ZendeskUserId);
        Assert.Equal(1, host.UsersWithExternalId("intercom-contact-" + lead.IntercomContactId));
    }

    [Fact]
    public async Task Lead_that_later_gives_an_email_keeps_its_user_and_gains_the_identity()
    {
        var lead = Contacts.New(role: "lead");
        var first = await host.Client.ResolveRequesterAsync(Contacts.Request(lead), cancellationToken: Ct);
        var email = Contacts.NewEmail("converted");
        lead.Email = email;

        var second = await host.Client.ResolveRequesterAsync(Contacts.Request(lead), cancellationToken: Ct);

        Assert.Equal(MatchMethod.ExistingLink, second.Method);
        Assert.Equal(first.ZendeskUserId, second.ZendeskUserId);
        Assert.True(host.Sandbox.Zendesk.User(first.ZendeskUserId)!.HasEmail(email));
    }

    [Fact]
    public async Task Email_and_external_id_on_different_users_link_to_the_email_owner_and_record_the_conflict()
    {
        var email = Contacts.NewEmail();
        var externalId = "ext-" + Guid.NewGuid().ToString("N");
        var emailOwner = host.Sandbox.Zendesk.AddUser("Email Owner", email);
        var externalOwner = host.Sandbox.Zendesk.AddUser("External Owner", Contacts.NewEmail("elsewhere"), externalId: externalId);
        var usersBefore = host.Sandbox.Zendesk.Users().Count;
        var contact = Contacts.New(email, externalId);

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(emailOwner.Id, reply.ZendeskUserId);
        Assert.Equal(MatchMethod.PrimaryEmail, reply.Method);
        Assert.True(reply.Conflict);
        Assert.Contains("email wins", reply.ConflictDetail, StringComparison.Ordinal);
        Assert.Equal(usersBefore, host.Sandbox.Zendesk.Users().Count);
        Assert.Null(host.Sandbox.Zendesk.User(emailOwner.Id)!.ExternalId);
        Assert.False(host.Sandbox.Zendesk.User(externalOwner.Id)!.HasEmail(email));

        var link = await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct);
        var conflict = Assert.Single(link.Conflicts);
        Assert.Equal("email_external_id_mismatch", conflict.Kind);
        Assert.Equal(emailOwner.Id, conflict.EmailUserId);
        Assert.Equal(externalOwner.Id, conflict.ExternalIdUserId);
        Assert.False(conflict.Resolved);
        Assert.Contains(await AllLinks(conflictsOnly: true), l => l.IntercomContactId == contact.IntercomContactId);

        // Resolving again neither duplicates the conflict nor changes the link.
        await host.ExecuteAsync($"UPDATE identity.contact_links SET verified_at = now() - interval '2 days' WHERE intercom_contact_id = '{contact.IntercomContactId}'");
        var again = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        Assert.Equal(emailOwner.Id, again.ZendeskUserId);
        Assert.Single((await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct)).Conflicts);
    }

    [Fact]
    public async Task Changed_email_updates_the_link_and_adds_the_identity_to_the_same_user()
    {
        var before = Contacts.NewEmail("before");
        var after = Contacts.NewEmail("after");
        var contact = Contacts.New(before);
        var first = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        contact.Email = after;

        var second = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        var third = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(MatchMethod.ExistingLink, second.Method);
        Assert.Equal(first.ZendeskUserId, second.ZendeskUserId);
        Assert.Equal(1, second.ZendeskCalls); // add identity
        Assert.Equal(0, third.ZendeskCalls);
        var user = host.Sandbox.Zendesk.User(first.ZendeskUserId)!;
        Assert.True(user.HasEmail(before));
        Assert.True(user.HasEmail(after));
        Assert.Equal(1, host.UsersWithEmail(after));
        var link = await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct);
        Assert.Equal(new[] { after, before }.Order(), link.EmailsSeen.Order());
    }

    [Fact]
    public async Task Changed_email_owned_by_another_user_is_a_recorded_conflict_not_a_merge()
    {
        var contact = Contacts.New(Contacts.NewEmail("mine"));
        var first = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        var taken = Contacts.NewEmail("taken");
        var other = host.Sandbox.Zendesk.AddUser("Someone Else", taken);
        contact.Email = taken;

        var second = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(first.ZendeskUserId, second.ZendeskUserId);
        Assert.True(second.Conflict);
        Assert.Equal(1, host.UsersWithEmail(taken));
        Assert.True(host.Sandbox.Zendesk.User(other.Id)!.HasEmail(taken));
        var link = await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct);
        var conflict = Assert.Single(link.Conflicts);
        Assert.Equal("email_owned_by_other_user", conflict.Kind);
        Assert.Equal(other.Id, conflict.EmailUserId);
    }

    [Fact]
    public async Task Deleted_Zendesk_user_is_re_resolved_on_revalidate()
    {
        var email = Contacts.NewEmail();
        var contact = Contacts.New(email);
        var first = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        Assert.True(host.Sandbox.Zendesk.DeleteUser(first.ZendeskUserId));

        var stale = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        var fresh = await host.Client.ResolveRequesterAsync(Contacts.Request(contact, revalidate: true), cancellationToken: Ct);

        Assert.Equal(first.ZendeskUserId, stale.ZendeskUserId); // fresh link: served without asking Zendesk
        Assert.NotEqual(first.ZendeskUserId, fresh.ZendeskUserId);
        Assert.Equal(MatchMethod.Created, fresh.Method);
        Assert.Equal(1, host.UsersWithEmail(email));
        var link = await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct);
        Assert.Equal(fresh.ZendeskUserId, link.ZendeskUserId);
    }

    [Fact]
    public async Task Stale_link_is_verified_and_a_deleted_user_replaced_by_the_owner_of_the_address()
    {
        var email = Contacts.NewEmail();
        var contact = Contacts.New(email);
        var first = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
        host.Sandbox.Zendesk.DeleteUser(first.ZendeskUserId);
        var replacement = host.Sandbox.Zendesk.AddUser("Re-created by an agent", email);
        await host.ExecuteAsync($"UPDATE identity.contact_links SET verified_at = now() - interval '2 days' WHERE intercom_contact_id = '{contact.IntercomContactId}'");

        var reply = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(replacement.Id, reply.ZendeskUserId);
        Assert.Equal(MatchMethod.PrimaryEmail, reply.Method);
    }

    [Fact]
    public async Task Zendesk_rejecting_the_credentials_is_FailedPrecondition_and_nothing_is_linked()
    {
        var contact = Contacts.New(Contacts.NewEmail());
        host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings { Scope = "zendesk", ErrorRate = 1, ErrorStatus = 403 };
        try
        {
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
                await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct));
            Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, error.StatusCode);
        }
        finally
        {
            host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings();
        }

        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = contact.IntercomContactId }, cancellationToken: Ct));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Rate_limited_Zendesk_is_waited_out_and_still_creates_one_user()
    {
        var email = Contacts.NewEmail();
        host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings { Scope = "zendesk", RateLimitRate = 1, RetryAfterSeconds = 1 };
        var resolve = host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(email)), cancellationToken: Ct).ResponseAsync;
        await Task.Delay(300, Ct);
        host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings();

        var reply = await resolve;

        Assert.Equal(MatchMethod.Created, reply.Method);
        Assert.True(reply.ZendeskCalls > 2);
        Assert.Equal(1, host.UsersWithEmail(email));
    }

    private async Task<List<ContactLink>> AllLinks(bool conflictsOnly)
    {
        var all = new List<ContactLink>();
        var token = "";
        do
        {
            var page = await host.Client.ListLinksAsync(new ListLinksRequest { PageSize = 7, PageToken = token, ConflictsOnly = conflictsOnly }, cancellationToken: Ct);
            all.AddRange(page.Links);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }
}
