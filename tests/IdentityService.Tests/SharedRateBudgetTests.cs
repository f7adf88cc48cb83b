using System.Diagnostics;
using Ferry.IdentityService.Vendors.Zendesk;
using Ferry.Sandbox.Common;
using Ferry.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IdentityService.Tests;

/// <summary>IdentityService's Zendesk calls share the account's rate budget: after a 429 no call goes out before its Retry-After.</summary>
public sealed class SharedRateBudgetTests(IdentityHost host) : IClassFixture<IdentityHost>
{
    [Fact]
    public async Task After_a_429_the_next_Zendesk_call_waits_for_the_Retry_After()
    {
        var ct = TestContext.Current.CancellationToken;
        var zendesk = host.Services.GetRequiredService<ZendeskUsersClient>();
        var stats = host.Sandbox.Services.GetRequiredService<RequestStats>();
        stats.Reset();
        host.Sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", RateLimitRate = 1, RetryAfterSeconds = 2, PathContains = "/users/create_or_update" };

        // The create meets the 429 (and waits it out itself); meanwhile another resolve's lookup must wait too.
        var create = zendesk.CreateOrUpdateAsync(new ZendeskUserInput("Budget", Contacts.NewEmail("budget"), null, "end-user"), ct);
        while (stats.Snapshot()["zendesk"].Total == 0)
        {
            await Task.Delay(5, ct);
        }

        host.Sandbox.Faults.Current = new FaultSettings();
        await Task.Delay(RetryAfterWatch.Grace + TimeSpan.FromMilliseconds(100), ct);
        var lookup = Stopwatch.StartNew();
        await zendesk.SearchByEmailAsync(Contacts.NewEmail("unknown"), ct);
        lookup.Stop();
        await create;

        Assert.Equal(0, stats.Snapshot()["zendesk"].RequestsBeforeRetryAfter);
        Assert.True(lookup.Elapsed >= TimeSpan.FromSeconds(0.4), $"the lookup went out after {lookup.Elapsed}");
    }
}
