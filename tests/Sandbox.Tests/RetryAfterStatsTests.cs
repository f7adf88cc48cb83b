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
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };

        sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", RateLimitRate = 1, RetryAfterSeconds = 1 };
        var (storm, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.TooManyRequests, storm.StatusCode);
        sandbox.Faults.Current = new FaultSettings();

        // Past the in-flight grace, well inside the second: early, even though it succeeds.
        await Task.Delay(RetryAfterWatch.Grace + TimeSpan.FromMilliseconds(100), ct);
        var (early, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        Assert.Equal(1, await BeforeRetryAfterAsync(admin, "zendesk"));

        await Task.Delay(TimeSpan.FromSeconds(1.1), ct);
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
        watch.RateLimited(start, TimeSpan.FromSeconds(1));
        watch.RateLimited(start + TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(1));

        // The first pause is over, and the 429 that extends it left only 150 ms ago: a client cannot know of it yet.
        watch.Arrived(start + TimeSpan.FromMilliseconds(1050), "in flight");
        Assert.Equal(0, watch.Early);

        watch.Arrived(start + TimeSpan.FromMilliseconds(1300), "early");
        watch.Arrived(start + TimeSpan.FromMilliseconds(1950), "after");
        Assert.Equal(1, watch.Early);
        var early = Assert.Single(watch.Latest);
        Assert.Equal(("early", 1300), (early.Operation, early.AfterPauseMs));
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
