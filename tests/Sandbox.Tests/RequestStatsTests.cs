using System.Net;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

public sealed class RequestStatsTests
{
    [Fact]
    public async Task Admin_stats_count_vendor_requests_by_route_template_until_reset()
    {
        await using var sandbox = await SandboxServer.CreateAsync();
        using var zendesk = sandbox.CreateZendeskClient();
        using var intercom = sandbox.CreateIntercomClient();
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };

        await zendesk.GetJsonAsync("api/v2/groups");
        await zendesk.GetJsonAsync("api/v2/groups.json");
        var (missing, _) = await zendesk.GetJsonAsync("api/v2/tickets/424242");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await intercom.GetJsonAsync("admins");
        using var anonymous = new HttpClient { BaseAddress = sandbox.IntercomBaseUrl };
        var (unauthorized, _) = await anonymous.GetJsonAsync("admins");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        await admin.GetJsonAsync("admin/state"); // admin calls are not vendor calls

        var (ok, stats) = await admin.GetJsonAsync("admin/stats");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(3, stats["zendesk"]!["total"]!.GetValue<long>());
        Assert.Equal(2, stats["zendesk"]!["requests"]!["GET /api/v2/groups"]!.GetValue<long>());
        Assert.Equal(1, stats["zendesk"]!["requests"]!["GET /api/v2/tickets/{id:long}"]!.GetValue<long>());
        Assert.Equal(2, stats["intercom"]!["total"]!.GetValue<long>());
        Assert.Equal(2, stats["intercom"]!["requests"]!["GET /admins"]!.GetValue<long>());

        var (reset, _) = await admin.PostJsonAsync("admin/stats/reset", new { });
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        var (_, cleared) = await admin.GetJsonAsync("admin/stats");
        Assert.Equal(0, cleared["zendesk"]!["total"]!.GetValue<long>());
        Assert.Equal(0, cleared["intercom"]!["total"]!.GetValue<long>());
    }
}
