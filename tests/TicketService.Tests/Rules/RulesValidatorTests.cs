using Ferry.TicketService.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Tests.Rules;

public sealed class RulesValidatorTests
{
    private static RulesOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<RulesOptions>().BindConfiguration(RulesOptions.Section);
        return services.BuildServiceProvider().GetRequiredService<IOptions<RulesOptions>>().Value;
    }

    [Fact]
    public void The_documented_example_binds_from_configuration_keys_and_is_valid()
    {
        var rules = Bind(new()
        {
            ["Rules:Include:0:Name"] = "only-billing",
            ["Rules:Include:0:TagsAny:0"] = "billing",
            ["Rules:Exclude:0:Name"] = "no-spam",
            ["Rules:Exclude:0:TagsAny:0"] = "spam",
            ["Rules:TagMap:VIP customer"] = "vip",
            ["Rules:TeamGroups:5"] = "360001",
            ["Rules:Routes:0:Name"] = "enterprise",
            ["Rules:Routes:0:Attributes:plan"] = "enterprise",
            ["Rules:Routes:0:Set:GroupId"] = "360002",
            ["Rules:Routes:0:Set:Priority"] = "high",
            ["Rules:Routes:0:Set:CustomFields:360200"] = "{{attribute.plan}}",
            ["Rules:Defaults:Type"] = "question",
        });

        Assert.Empty(RulesValidator.Errors(rules));
        Assert.Equal("billing", rules.Include[0].TagsAny[0]);
        Assert.Equal(360001, rules.TeamGroups["5"]);
        Assert.Equal("{{attribute.plan}}", rules.Routes[0].Set.CustomFields["360200"]);
        Assert.Equal("vip", rules.TagMap["VIP customer"]);
    }

    [Fact]
    public void Mistakes_are_reported_with_the_setting_and_what_it_may_be()
    {
        var rules = new RulesOptions
        {
            Include = [new RuleCondition { Name = "", TagsAny = ["billing"] }, new RuleCondition { Name = "all" }],
            Exclude = [new RuleCondition { Name = "ALL", DeliveredAs = ["by_bot"], Priorities = ["p1"] }],
            TeamGroups = new() { ["5"] = 0 },
            Routes =
            [
                new RouteRule { Name = "r", TagsAny = ["x"] },
                new RouteRule { Name = "s", TagsAny = ["x"], Set = new TicketFields { Priority = "critical", Type = "bug", GroupId = -1, CustomFields = new() { ["plan"] = "x", ["7"] = "{{plan}}" } } },
            ],
        };

        var errors = RulesValidator.Errors(rules);

        Assert.Contains("Rules:Include:0:Name is required (it names the rule in skip reasons, logs and metrics).", errors);
        Assert.Contains(errors, e => e.StartsWith("Rules:Include:1 ('all') has no condition", StringComparison.Ordinal));
        Assert.Contains("Rules:Exclude:0:Name 'ALL' is used by another rule; rule names must be unique.", errors);
        Assert.Contains("Rules:Exclude:0:DeliveredAs: 'by_bot' is not one of customer_initiated, admin_initiated, automated, campaigns_initiated, operator_initiated.", errors);
        Assert.Contains("Rules:Exclude:0:Priorities: 'p1' is not one of none, low, medium, high, urgent.", errors);
        Assert.Contains("Rules:TeamGroups:5 must map an Intercom team id to a positive Zendesk group id (got 0).", errors);
        Assert.Contains(errors, e => e.StartsWith("Rules:Routes:0 ('r') sets nothing", StringComparison.Ordinal));
        Assert.Contains("Rules:Routes:1:Set:Priority: 'critical' is not one of low, normal, high, urgent.", errors);
        Assert.Contains("Rules:Routes:1:Set:Type: 'bug' is not one of problem, incident, question, task.", errors);
        Assert.Contains("Rules:Routes:1:Set:GroupId must be a positive Zendesk group id (got -1).", errors);
        Assert.Contains(errors, e => e.StartsWith("Rules:Routes:1:Set:CustomFields:plan: the key must be a Zendesk ticket field id", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Rules:Routes:1:Set:CustomFields:7: unknown placeholder {{plan}}; use one of {{attribute.NAME}}", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_rules_are_valid()
    {
        Assert.Empty(RulesValidator.Errors(new RulesOptions()));
        Assert.True(new RulesValidator().Validate(null, new RulesOptions()).Succeeded);
    }
}
