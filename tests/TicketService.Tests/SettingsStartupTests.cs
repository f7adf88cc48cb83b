using Ferry.Testing;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Tests;

/// <summary>A mistake in the settings (sections "Rules", "Dual") stops TicketService at start-up, naming the setting.</summary>
public sealed class SettingsStartupTests(PostgresServer postgres, RedisServer redis)
{
    [Theory]
    [InlineData("rules", "Rules:Routes:0:Set:Priority", "critical", "Rules:Routes:0:Set:Priority: 'critical' is not one of low, normal, high, urgent.")]
    [InlineData("cap", "Dual:MaxAttachmentBytes", "0", "Dual:MaxAttachmentBytes must be between 1 and 52428800")]
    [InlineData("tag", "Dual:Tag", "Ferry Tag", "Dual:Tag must be a Zendesk tag")]
    public async Task TicketService_does_not_start_with_an_invalid_setting(string name, string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ferry"] = await postgres.CreateDatabaseAsync($"startup_{name}"),
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Intercom:BaseUrl"] = "http://127.0.0.1:9/intercom/",
            ["Intercom:AccessToken"] = "unused",
            ["Zendesk:BaseUrl"] = "http://127.0.0.1:9/zendesk/",
            ["Zendesk:ApiToken"] = "unused",
            [key] = value,
        };
        if (key.StartsWith("Rules:Routes:0:", StringComparison.Ordinal))
        {
            settings["Rules:Routes:0:Name"] = "vip";
            settings["Rules:Routes:0:TagsAny:0"] = "vip";
        }

        await using var host = new TicketServiceHost(settings);

        var error = Assert.Throws<OptionsValidationException>(() => host.Start());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
