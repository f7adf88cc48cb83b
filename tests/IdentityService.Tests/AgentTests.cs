using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.IdentityService.Tests;

public sealed class AgentTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Admin_matches_the_Zendesk_agent_by_email_case_insensitively_and_is_recorded()
    {
        var email = Contacts.NewEmail("agent");
        var agent = host.Sandbox.Zendesk.AddUser("Agent Smith", email, role: "agent");
        await RefreshDirectoryAsync();

        var reply = await host.Client.ResolveAgentAsync(Request("a-1", " " + email.ToUpperInvariant()), cancellationToken: Ct);

        Assert.True(reply.Matched);
        Assert.False(reply.UsedFallback);
        Assert.Equal(agent.Id, reply.ZendeskAgentId);
        Assert.Equal(1, await host.ExecuteAsync($"UPDATE identity.agent_map SET updated_at = now() WHERE intercom_admin_id = 'a-1' AND zendesk_agent_id = {agent.Id} AND matched"));
    }

    [Fact]
    public async Task Unmatched_admin_falls_back_to_the_default_agent_and_no_agent_is_created()
    {
        var usersBefore = host.Sandbox.Zendesk.Users().Count;
        var endUserEmail = Contacts.NewEmail("customer");
        host.Sandbox.Zendesk.AddUser("Just a customer", endUserEmail);

        var unknown = await host.Client.ResolveAgentAsync(Request("a-2", Contacts.NewEmail("unknown")), cancellationToken: Ct);
        var endUser = await host.Client.ResolveAgentAsync(Request("a-3", endUserEmail), cancellationToken: Ct);

        foreach (var reply in new[] { unknown, endUser })
        {
            Assert.False(reply.Matched);
            Assert.True(reply.UsedFallback);
            Assert.Equal("default_agent", reply.Fallback);
            Assert.Equal(host.DefaultAgentId, reply.ZendeskAgentId);
        }

        Assert.Equal(usersBefore + 1, host.Sandbox.Zendesk.Users().Count);
    }

    [Fact]
    public async Task Team_maps_to_group_from_the_table_first_then_configuration()
    {
        await host.ExecuteAsync("INSERT INTO identity.team_groups (intercom_team_id, zendesk_group_id) VALUES ('team-table', 360001) ON CONFLICT DO NOTHING");

        var fromTable = await host.Client.ResolveAgentAsync(Request("a-4", "x@agents.example", "team-table"), cancellationToken: Ct);
        var fromConfig = await host.Client.ResolveAgentAsync(Request("a-5", "x@agents.example", "team-configured"), cancellationToken: Ct);
        var unmapped = await host.Client.ResolveAgentAsync(Request("a-6", "x@agents.example", "team-unknown"), cancellationToken: Ct);

        Assert.Equal(360001, fromTable.ZendeskGroupId);
        Assert.Equal(777, fromConfig.ZendeskGroupId);
        Assert.Equal(0, unmapped.ZendeskGroupId);
    }

    [Fact]
    public async Task Admin_without_id_is_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Client.ResolveAgentAsync(Request("", "x@agents.example"), cancellationToken: Ct));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private static ResolveAgentRequest Request(string id, string email, string team = "") =>
        new() { Admin = new Admin { IntercomAdminId = id, Name = "Admin", Email = email, IntercomTeamId = team } };

    private async Task RefreshDirectoryAsync() =>
        await ((Agents.AgentDirectory)host.Services.GetService(typeof(Agents.AgentDirectory))!).RefreshAsync(Ct);
}
