using System.Net;
using Ferry.Sandbox.Common;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

public sealed class RetryAfterStatsTests
{
    [Fact]
    public async Task Requests_inside_a_storm_Retry_After_are_counted_and_later_ones_are_not()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxServer.CreateAsync();
        using var zendesk = sandbox.CreateZendeskClient();
        zendesk.DefaultRequestHeaders.UserAgent.ParseAdd("Ferry/1.0 (TicketService)");
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };

        sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", RateLimitRate = 1, RetryAfterSeconds = 2 };
        var (storm, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.TooManyRequests, storm.StatusCode);
        sandbox.Faults.Current = new FaultSettings();

        // Past the in-flight grace, well inside the pause: early, even though it succeeds.
        await Task.Delay(RetryAfterWatch.Grace + TimeSpan.FromMilliseconds(100), ct);
        var (early, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        Assert.Equal(1, await BeforeRetryAfterAsync(admin, "zendesk"));
        var (_, stats) = await admin.GetJsonAsync("admin/stats");
        var latest = Assert.Single(stats["zendesk"]!["earlyRequests"]!.AsArray());
        Assert.Equal("GET /api/v2/groups", latest!["Operation"]!.GetValue<string>());
        Assert.Equal("Ferry/1.0 (TicketService)", latest["Client"]!.GetValue<string>());
        Assert.Equal("Ferry/1.0 (TicketService)", latest["PausedBy"]!.GetValue<string>());

        await Task.Delay(TimeSpan.FromSeconds(2) - RetryAfterWatch.Grace, ct);
        await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(1, await BeforeRetryAfterAsync(admin, "zendesk"));
        Assert.Equal(0, await BeforeRetryAfterAsync(admin, "intercom"));

        await admin.PostJsonAsync("admin/stats/reset", new { });
        Assert.Equal(0, await BeforeRetryAfterAsync(admin, "zendesk"));
    }

    [Fact]
    public void A_request_is_early_only_once_the_429_that_holds_it_could_have_reached_its_sender()
    {
        var watch = new RetryAfterWatch();
        var start = DateTimeOffset.UnixEpoch;
        watch.RateLimited(start, TimeSpan.FromSeconds(1), "c1", "Ferry/1.0 (TicketService)");
        watch.RateLimited(start + TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(1), "c2", "Ferry/1.0 (IdentityService)");

        // The first pause is over, and the 429 that extends it left only 150 ms ago: a client cannot know of it yet.
        watch.Arrived(start + TimeSpan.FromMilliseconds(1050), "in flight", "c3");
        Assert.Equal(0, watch.Early);

        watch.Arrived(start + TimeSpan.FromMilliseconds(1750), "early", "c3", "Ferry/1.0 (AttachmentService)");
        watch.Arrived(start + TimeSpan.FromMilliseconds(1800), "early on a 429's connection", "c2", "Ferry/1.0 (IdentityService)");
        watch.Arrived(start + TimeSpan.FromMilliseconds(1950), "after", "c2");
        Assert.Equal(2, watch.Early);
        Assert.Equal(
            [("early", 1750L, false, "Ferry/1.0 (AttachmentService)", "Ferry/1.0 (TicketService)"),
             ("early on a 429's connection", 1800L, true, "Ferry/1.0 (IdentityService)", "Ferry/1.0 (TicketService)")],
            watch.Latest.Select(e => (e.Operation, e.AfterPauseMs, e.OnItsConnection, e.Client, e.PausedBy)));
    }

    [Fact]
    public async Task A_429_from_the_account_limiter_pauses_the_account_too()
    {
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Intercom:RateLimitPer10Seconds"] = "1" });
        using var intercom = sandbox.CreateIntercomClient();
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };

        await intercom.GetJsonAsync("admins");
        var (limited, _) = await intercom.GetJsonAsync("admins");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(0, await BeforeRetryAfterAsync(admin, "intercom"));

        await Task.Delay(RetryAfterWatch.Grace + TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        await intercom.GetJsonAsync("admins");
        Assert.Equal(1, await BeforeRetryAfterAsync(admin, "intercom"));
    }

    private static async Task<long> BeforeRetryAfterAsync(HttpClient admin, string vendor)
    {
        var (_, stats) = await admin.GetJsonAsync("admin/stats");
        return stats[vendor]!["requestsBeforeRetryAfter"]!.GetValue<long>();
    }
}
