using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.IdentityService.Tests;

public sealed class OperatorApiTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Override_points_the_contact_at_the_chosen_user_and_closes_its_conflicts()
    {
        var email = Contacts.NewEmail();
        var externalId = "ext-" + Guid.NewGuid().ToString("N");
        host.Sandbox.Zendesk.AddUser("Email Owner", email);
        var externalOwner = host.Sandbox.Zendesk.AddUser("External Owner", null, externalId: externalId);
        var contact = Contacts.New(email, externalId);
        Assert.True((await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct)).Conflict);

        var link = await host.Client.OverrideLinkAsync(new OverrideLinkRequest
        {
            IntercomContactId = contact.IntercomContactId,
            ZendeskUserId = externalOwner.Id,
            Reason = "same customer per CRM",
        }, cancellationToken: Ct);
        var after = await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);

        Assert.Equal(externalOwner.Id, link.ZendeskUserId);
        Assert.Equal(MatchMethod.Override, link.Method);
        Assert.True(Assert.Single(link.Conflicts).Resolved);
        Assert.Equal(externalOwner.Id, after.ZendeskUserId);
        Assert.Equal(MatchMethod.ExistingLink, after.Method);
        var open = await host.Client.ListLinksAsync(new ListLinksRequest { ConflictsOnly = true, PageSize = 500 }, cancellationToken: Ct);
        Assert.DoesNotContain(open.Links, l => l.IntercomContactId == contact.IntercomContactId);
    }

    [Fact]
    public async Task ListLinks_pages_through_every_link_once()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var contact = Contacts.New(Contacts.NewEmail("page"));
            await host.Client.ResolveRequesterAsync(Contacts.Request(contact), cancellationToken: Ct);
            ids.Add(contact.IntercomContactId);
        }

        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await host.Client.ListLinksAsync(new ListLinksRequest { PageSize = 2, PageToken = token }, cancellationToken: Ct);
            Assert.True(page.Links.Count <= 2);
            seen.AddRange(page.Links.Select(l => l.IntercomContactId));
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), ids.ToHashSet());
    }

    [Fact]
    public async Task Errors_carry_precise_status_codes()
    {
        await AssertStatus(StatusCode.InvalidArgument, () => host.Client.ResolveRequesterAsync(new ResolveRequesterRequest { Contact = new Contact { Email = "a@b.example" } }, cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.InvalidArgument, () => host.Client.ResolveRequesterAsync(new ResolveRequesterRequest(), cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.NotFound, () => host.Client.GetLinkAsync(new GetLinkRequest { IntercomContactId = "never-seen" }, cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.InvalidArgument, () => host.Client.GetLinkAsync(new GetLinkRequest(), cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.InvalidArgument, () => host.Client.ListLinksAsync(new ListLinksRequest { PageToken = "%%%" }, cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.InvalidArgument, () => host.Client.ListLinksAsync(new ListLinksRequest { PageSize = -1 }, cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.InvalidArgument, () => host.Client.OverrideLinkAsync(new OverrideLinkRequest { IntercomContactId = "c", ZendeskUserId = 1 }, cancellationToken: Ct).ResponseAsync);
        await AssertStatus(StatusCode.FailedPrecondition, () => host.Client.OverrideLinkAsync(new OverrideLinkRequest { IntercomContactId = "c", ZendeskUserId = 987654321, Reason = "typo" }, cancellationToken: Ct).ResponseAsync);
        var deleted = host.Sandbox.Zendesk.AddUser("Deleted", Contacts.NewEmail("deleted"));
        host.Sandbox.Zendesk.DeleteUser(deleted.Id);
        await AssertStatus(StatusCode.FailedPrecondition, () => host.Client.OverrideLinkAsync(new OverrideLinkRequest { IntercomContactId = "c", ZendeskUserId = deleted.Id, Reason = "typo" }, cancellationToken: Ct).ResponseAsync);
    }

    [Fact]
    public async Task Zendesk_down_is_Unavailable()
    {
        host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings { Scope = "zendesk", ErrorRate = 1, ErrorStatus = 503 };
        try
        {
            await AssertStatus(StatusCode.Unavailable, () => host.Client.ResolveRequesterAsync(Contacts.Request(Contacts.New(Contacts.NewEmail())), cancellationToken: Ct).ResponseAsync);
        }
        finally
        {
            host.Sandbox.Faults.Current = new Sandbox.Common.FaultSettings();
        }
    }

    private static async Task AssertStatus<T>(StatusCode expected, Func<Task<T>> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
    }
}
