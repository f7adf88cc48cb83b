using System.Net;
using System.Net.Http.Json;
using Ferry.Sandbox.Common;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Error_rate_and_rate_limit_storm_answer_in_the_vendor_shape()
    {
        await using var sandbox = await SandboxServer.CreateAsync();
        using var zendesk = sandbox.CreateZendeskClient();
        sandbox.Faults.Current = new FaultSettings { ErrorRate = 1, ErrorStatus = 503, Scope = "zendesk" };
        var (failed, body) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("ServerError", body["error"]!.GetValue<string>());

        using var intercom = sandbox.CreateIntercomClient();
        var (unaffected, _) = await intercom.GetJsonAsync("admins");
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);

        sandbox.Faults.Current = new FaultSettings { RateLimitRate = 1, RetryAfterSeconds = 7 };
        var (storm, _) = await intercom.GetJsonAsync("admins");
        Assert.Equal(HttpStatusCode.TooManyRequests, storm.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), storm.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Dropped_connections_cut_the_body_mid_way()
    {
        await using var sandbox = await SandboxServer.CreateAsync();
        sandbox.Faults.Current = new FaultSettings { DropRate = 1 };
        using var zendesk = sandbox.CreateZendeskClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => zendesk.GetStringAsync("api/v2/ticket_fields", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_held_answer_leaves_the_change_made_while_the_caller_still_waits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxServer.CreateAsync();
        sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", HoldResponseMs = 600_000, PathContains = "/imports/tickets" };
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("held")}@x.example");
        var externalId = TestJson.Unique("intercom-conversation");
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var import = zendesk.PostAsJsonAsync(
            "api/v2/imports/tickets",
            new { ticket = new { requester_id = requester.Id, subject = "Held", external_id = externalId, comments = new[] { new { value = "x" } } } },
            caller.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sandbox.Zendesk.TicketsByExternalId(externalId).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The held import never created its ticket.");
            await Task.Delay(20, ct);
        }

        // The ticket exists; its creator has no answer yet, while other paths answer at once.
        Assert.False(import.IsCompleted);
        var (groups, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.OK, groups.StatusCode);
        Assert.False(import.IsCompleted);

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => import);
        Assert.Single(sandbox.Zendesk.TicketsByExternalId(externalId));
    }

    [Fact]
    public async Task Admin_api_sets_faults_and_moves_the_clock()
    {
        await using var sandbox = await SandboxServer.CreateAsync();
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };
        var (set, _) = await admin.PutJsonAsync("admin/faults", new { errorRate = 1, errorStatus = 500 });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(1, sandbox.Faults.Current.ErrorRate);

        var before = sandbox.Clock.GetUtcNow();
        await admin.PostJsonAsync("admin/clock/advance?seconds=3600", new { });
        Assert.True(sandbox.Clock.GetUtcNow() - before >= TimeSpan.FromHours(1));

        var (seeded, body) = await admin.PostJsonAsync("admin/scenarios/seed?conversations=3", new { });
        Assert.Equal(HttpStatusCode.Created, seeded.StatusCode);
        Assert.Equal(3, body["conversations"]!.AsArray().Count);
    }
}
