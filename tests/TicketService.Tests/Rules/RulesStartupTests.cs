using Ferry.Testing;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Tests.Rules;

/// <summary>A mistake in section "Rules" stops TicketService at start-up, naming the setting.</summary>
public sealed class RulesStartupTests(PostgresServer postgres, RedisServer redis)
{
    [Fact]
    public async Task TicketService_does_not_start_with_invalid_rules()
    {
        await using var host = new TicketServiceHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:ferry"] = await postgres.CreateDatabaseAsync("rules_startup"),
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Intercom:BaseUrl"] = "http://127.0.0.1:9/intercom/",
            ["Intercom:AccessToken"] = "unused",
            ["Zendesk:BaseUrl"] = "http://127.0.0.1:9/zendesk/",
            ["Zendesk:ApiToken"] = "unused",
            ["Rules:Routes:0:Name"] = "vip",
            ["Rules:Routes:0:TagsAny:0"] = "vip",
            ["Rules:Routes:0:Set:Priority"] = "critical",
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Start());

        Assert.Contains("Rules:Routes:0:Set:Priority: 'critical' is not one of low, normal, high, urgent.", error.Message, StringComparison.Ordinal);
    }
}
