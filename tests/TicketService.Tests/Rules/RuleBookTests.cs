using System.Text.Json;
using Ferry.TicketService.Rules;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Vendors.Intercom;
using Ferry.TicketService.Vendors.Zendesk;
using Microsoft.Extensions.Configuration;

namespace Ferry.TicketService.Tests.Rules;

public sealed class RuleBookTests
{
    private static IntercomConversation Conversation(
        string[]? tags = null, string? team = null, string? admin = null, string channel = "conversation", string deliveredAs = "customer_initiated",
        string priority = "none", string attributes = "{}") =>
        new("42", null, 1_700_000_000, 1_700_000_500, "open", true, admin ?? "0", team ?? "0",
            new IntercomTagList([.. (tags ?? []).Select((t, i) => new IntercomTag($"t{i}", t))]),
            new IntercomSource("s1", null, "<p>Hi</p>", deliveredAs, new IntercomAuthor("u1", "user", "Ann", null), [], channel),
            new IntercomContactList([new IntercomContactRef("u1", null)]),
            new IntercomPartList([], 0),
            JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(attributes),
            priority);

    private static readonly JsonSerializerOptions ZendeskJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static RoutingDecision Evaluate(RulesOptions rules, IntercomConversation conversation) =>
        new RuleBook(rules, "ferry").Evaluate(conversation);

    [Fact]
    public void Without_rules_every_conversation_syncs_with_Ferrys_usual_tags_and_no_extra_fields()
    {
        var book = new RuleBook(new RulesOptions(), "ferry");
        var conversation = Conversation(tags: ["Billing", "VIP customer"], team: "5");

        var decision = book.Evaluate(conversation);

        Assert.True(book.IsEmpty);
        Assert.False(decision.Skip);
        Assert.Equal(TicketPlanner.Tags(conversation, "ferry"), decision.Tags);
        Assert.Null(decision.GroupId);
        Assert.Null(decision.Priority);
        Assert.Null(decision.Type);
        Assert.Empty(decision.CustomFields);
        Assert.Equal((7L, 9L), decision.Assign(7, 9));
    }

    [Fact]
    public void Only_billing_skips_an_untagged_conversation_and_names_the_rule()
    {
        var rules = new RulesOptions { Include = [new RuleCondition { Name = "only-billing", TagsAny = ["billing"] }] };

        var skipped = Evaluate(rules, Conversation(tags: ["sales"]));
        var kept = Evaluate(rules, Conversation(tags: ["Billing"]));

        Assert.True(skipped.Skip);
        Assert.Equal("only-billing", skipped.SkipRule);
        Assert.Equal("not tagged billing (rule 'only-billing')", skipped.SkipReason);
        Assert.False(kept.Skip);
    }

    [Fact]
    public void Several_include_rules_are_alternatives_and_the_reason_lists_each()
    {
        var rules = new RulesOptions
        {
            Include =
            [
                new RuleCondition { Name = "billing", TagsAny = ["billing", "refund"] },
                new RuleCondition { Name = "email-enterprise", Channels = ["email"], Attributes = new() { ["plan"] = "enterprise" } },
            ],
        };

        var skipped = Evaluate(rules, Conversation(channel: "email", attributes: """{"plan":"starter"}"""));

        Assert.Equal("billing,email-enterprise", skipped.SkipRule);
        Assert.Equal("matches no include rule: not tagged any of billing, refund (rule 'billing'); attribute plan is starter, not enterprise (rule 'email-enterprise')", skipped.SkipReason);
        Assert.False(Evaluate(rules, Conversation(channel: "email", attributes: """{"plan":"Enterprise"}""")).Skip);
        Assert.False(Evaluate(rules, Conversation(tags: ["refund"])).Skip);
    }

    [Fact]
    public void Exclude_rules_win_over_include_rules()
    {
        var rules = new RulesOptions
        {
            Include = [new RuleCondition { Name = "billing", TagsAny = ["billing"] }],
            Exclude = [new RuleCondition { Name = "no-spam", TagsAny = ["spam"] }, new RuleCondition { Name = "no-bots", DeliveredAs = ["automated"] }],
        };

        var spam = Evaluate(rules, Conversation(tags: ["billing", "spam"]));
        var automated = Evaluate(rules, Conversation(tags: ["billing"], deliveredAs: "automated"));

        Assert.Equal("no-spam", spam.SkipRule);
        Assert.Equal("tagged spam (exclude rule 'no-spam')", spam.SkipReason);
        Assert.Equal("delivered as automated (exclude rule 'no-bots')", automated.SkipReason);
    }

    [Theory]
    [InlineData("TagsAll", "not tagged vip")]
    [InlineData("TagsNone", "tagged billing")]
    [InlineData("TeamIds", "assigned to team 5, not 6")]
    [InlineData("AdminIds", "not assigned to an admin")]
    [InlineData("Priorities", "Intercom priority none, not high or urgent")]
    [InlineData("Channels", "from channel conversation, not email")]
    public void Each_clause_explains_why_it_did_not_match(string clause, string reason)
    {
        var condition = new RuleCondition { Name = "r" };
        switch (clause)
        {
            case "TagsAll": condition.TagsAll = ["billing", "vip"]; break;
            case "TagsNone": condition.TagsNone = ["billing", "spam"]; break;
            case "TeamIds": condition.TeamIds = ["6"]; break;
            case "AdminIds": condition.AdminIds = ["11"]; break;
            case "Priorities": condition.Priorities = ["high", "urgent"]; break;
            case "Channels": condition.Channels = ["email"]; break;
        }

        var decision = Evaluate(new RulesOptions { Include = [condition] }, Conversation(tags: ["billing"], team: "5"));

        Assert.Equal($"{reason} (rule 'r')", decision.SkipReason);
    }

    [Fact]
    public void Every_clause_of_a_rule_must_hold()
    {
        var rules = new RulesOptions { Include = [new RuleCondition { Name = "r", TagsAny = ["billing"], TeamIds = ["5"], Priorities = ["high"] }] };

        Assert.False(Evaluate(rules, Conversation(tags: ["billing"], team: "5", priority: "high")).Skip);
        Assert.Equal("Intercom priority low, not high (rule 'r')", Evaluate(rules, Conversation(tags: ["billing"], team: "5", priority: "low")).SkipReason);
    }

    [Fact]
    public void Routes_apply_in_order_the_first_to_set_a_field_decides_it_and_tags_add_up()
    {
        var rules = new RulesOptions
        {
            Routes =
            [
                new RouteRule { Name = "vip", TagsAny = ["vip"], Set = new TicketFields { Priority = "urgent", Tags = ["vip_queue"] } },
                new RouteRule { Name = "billing", TagsAny = ["billing"], Set = new TicketFields { GroupId = 360002, Priority = "high", Type = "question", Tags = ["billing_queue"] } },
                new RouteRule { Name = "never-reached-fields", TagsAny = ["billing"], Set = new TicketFields { GroupId = 1, Type = "task", Tags = ["later"] } },
            ],
            Defaults = new TicketFields { Priority = "normal", Type = "incident", Tags = ["from_intercom"] },
        };

        var both = Evaluate(rules, Conversation(tags: ["vip", "billing"]));
        var neither = Evaluate(rules, Conversation(tags: ["sales"]));

        Assert.Equal(["vip", "billing", "never-reached-fields"], both.MatchedRoutes);
        Assert.Equal("urgent", both.Priority);
        Assert.Equal(360002, both.GroupId);
        Assert.Equal("question", both.Type);
        Assert.Equal(["vip", "billing", "vip_queue", "billing_queue", "later", "from_intercom", "ferry"], both.Tags);
        Assert.Equal("normal", neither.Priority);
        Assert.Equal("incident", neither.Type);
        Assert.Null(neither.GroupId);
        Assert.Equal(["sales", "from_intercom", "ferry"], neither.Tags);
    }

    [Fact]
    public void Stop_ends_evaluation()
    {
        var rules = new RulesOptions
        {
            Routes =
            [
                new RouteRule { Name = "billing", TagsAny = ["billing"], Stop = true, Set = new TicketFields { Tags = ["a"] } },
                new RouteRule { Name = "all-billing", TagsAny = ["billing"], Set = new TicketFields { Priority = "low", Tags = ["b"] } },
            ],
        };

        var decision = Evaluate(rules, Conversation(tags: ["billing"]));

        Assert.Equal(["billing"], decision.MatchedRoutes);
        Assert.Null(decision.Priority);
        Assert.DoesNotContain("b", decision.Tags);
    }

    [Fact]
    public void Tag_map_renames_or_drops_Intercom_tags_before_they_become_Zendesk_tags()
    {
        var rules = new RulesOptions { TagMap = new() { ["VIP Customer"] = "vip", ["internal-only"] = "" } };

        var decision = Evaluate(rules, Conversation(tags: ["vip customer", "Internal-Only", "Billing Issue"]));

        Assert.Equal(["vip", "billing_issue", "ferry"], decision.Tags);
    }

    [Fact]
    public void The_conversations_team_maps_to_a_group_unless_a_route_sets_one()
    {
        var rules = new RulesOptions
        {
            TeamGroups = new() { ["5"] = 360001 },
            Routes = [new RouteRule { Name = "billing", TagsAny = ["billing"], Set = new TicketFields { GroupId = 360002 } }],
            Defaults = new TicketFields { GroupId = 360009 },
        };

        Assert.Equal(360001, Evaluate(rules, Conversation(team: "5")).GroupId);
        Assert.Equal(360002, Evaluate(rules, Conversation(team: "5", tags: ["billing"])).GroupId);
        Assert.Equal(360009, Evaluate(rules, Conversation(team: "6")).GroupId);
        Assert.Equal(360009, Evaluate(rules, Conversation()).GroupId);
    }

    [Fact]
    public void Custom_fields_take_values_from_attributes_and_conversation_facts()
    {
        var rules = new RulesOptions
        {
            Routes =
            [
                new RouteRule
                {
                    Name = "enterprise",
                    Attributes = new() { ["plan"] = "enterprise" },
                    Set = new TicketFields { CustomFields = new() { ["100"] = "{{attribute.plan}}", ["101"] = "{{attribute.seats}}", ["102"] = "{{attribute.trial}}", ["103"] = "plan-{{attribute.plan}}-{{priority}}" } },
                },
                new RouteRule { Name = "missing", TagsAny = ["billing"], Set = new TicketFields { CustomFields = new() { ["104"] = "{{attribute.nothing}}", ["100"] = "ignored" } } },
            ],
            Defaults = new TicketFields { CustomFields = new() { ["104"] = "unknown", ["105"] = "{{conversation.id}}/{{channel}}/{{delivered_as}}" } },
        };

        var decision = Evaluate(rules, Conversation(tags: ["billing"], priority: "high", attributes: """{"plan":"enterprise","seats":25,"trial":false}"""));

        var fields = decision.CustomFields.ToDictionary(f => f.Id, f => JsonSerializer.Serialize(f.Value));
        Assert.Equal("\"enterprise\"", fields[100]);
        Assert.Equal("25", fields[101]);
        Assert.Equal("false", fields[102]);
        Assert.Equal("\"plan-enterprise-high\"", fields[103]);
        Assert.Equal("\"unknown\"", fields[104]);
        Assert.Equal("\"42/conversation/customer_initiated\"", fields[105]);
    }

    [Fact]
    public void A_rule_group_does_not_take_a_ticket_from_its_assignee_unless_told_to()
    {
        var keep = Evaluate(new RulesOptions { Routes = [new RouteRule { Name = "b", TagsAny = ["billing"], Set = new TicketFields { GroupId = 2 } }] }, Conversation(tags: ["billing"]));
        var force = Evaluate(new RulesOptions { Routes = [new RouteRule { Name = "b", TagsAny = ["billing"], Set = new TicketFields { GroupId = 2, GroupOverridesAssignee = true } }] }, Conversation(tags: ["billing"]));

        Assert.Equal((null, 2L), keep.Assign(null, null));
        Assert.Equal((7L, 2L), keep.Assign(7, 2));
        Assert.Equal((7L, 1L), keep.Assign(7, 1));
        Assert.Equal((7L, (long?)null), keep.Assign(7, null));
        Assert.Equal((7L, 2L), force.Assign(7, 2));
        Assert.Equal(((long?)null, 2L), force.Assign(7, 1));
        Assert.Equal(((long?)null, 2L), force.Assign(7, null));
    }

    [Fact]
    public void A_skipped_conversation_still_carries_its_fields_for_a_ticket_it_already_has()
    {
        var rules = new RulesOptions
        {
            Include = [new RuleCondition { Name = "only-billing", TagsAny = ["billing"] }],
            Defaults = new TicketFields { Priority = "low" },
        };

        var decision = Evaluate(rules, Conversation(tags: ["sales"]));

        Assert.True(decision.Skip);
        Assert.Equal("low", decision.Priority);
        Assert.Equal(["sales", "ferry"], decision.Tags);
    }

    [Fact]
    public void The_import_and_follow_up_carry_the_fields_in_Zendesks_shape()
    {
        var decision = Evaluate(
            new RulesOptions { Defaults = new TicketFields { Priority = "high", Type = "question", CustomFields = new() { ["360200"] = "{{conversation.id}}" } } },
            Conversation());
        var import = new TicketImport(1, null, 360002, "s", ["x"], "intercom-conversation-42", "open", DateTimeOffset.UnixEpoch, null, []);
        var followUp = new FollowUpTicket(9, 1, "s", "intercom-conversation-42", ["x"], new NewComment(null, "<p>x</p>", true, null));

        var importJson = JsonSerializer.Serialize(decision.Apply(import), ZendeskJson);
        var followUpJson = JsonSerializer.Serialize(decision.Apply(followUp, 360002), ZendeskJson);

        Assert.Contains("\"priority\":\"high\",\"type\":\"question\",\"custom_fields\":[{\"id\":360200,\"value\":\"42\"}]", importJson, StringComparison.Ordinal);
        Assert.Contains("\"tags\":[\"ferry\"]", importJson, StringComparison.Ordinal);
        Assert.Contains("\"group_id\":360002", importJson, StringComparison.Ordinal);
        Assert.Contains("\"group_id\":360002,\"priority\":\"high\",\"type\":\"question\",\"custom_fields\":[{\"id\":360200,\"value\":\"42\"}]", followUpJson, StringComparison.Ordinal);
        Assert.DoesNotContain("priority", JsonSerializer.Serialize(import, ZendeskJson), StringComparison.Ordinal);
    }

    [Fact]
    public void The_worked_example_in_docs_SYNC_md_does_what_its_table_says()
    {
        const string json = """
            { "Rules": {
              "Include": [ { "Name": "only-billing", "TagsAny": [ "billing" ] } ],
              "Exclude": [ { "Name": "no-spam", "TagsAny": [ "spam" ] } ],
              "TagMap": { "VIP customer": "vip" },
              "TeamGroups": { "5": 360001 },
              "Routes": [
                {
                  "Name": "enterprise-billing",
                  "TagsAny": [ "billing" ],
                  "Attributes": { "plan": "enterprise" },
                  "Set": {
                    "GroupId": 360002,
                    "GroupOverridesAssignee": true,
                    "Priority": "high",
                    "Tags": [ "enterprise" ],
                    "CustomFields": { "360200": "{{attribute.plan}}", "360201": "{{priority}}" }
                  },
                  "Stop": true
                },
                { "Name": "urgent", "Priorities": [ "urgent" ], "Set": { "Priority": "urgent" } }
              ],
              "Defaults": { "Priority": "normal", "Type": "question" }
            } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        var rules = configuration.GetSection(RulesOptions.Section).Get<RulesOptions>()!;
        Assert.Empty(RulesValidator.Errors(rules));

        var sales = Evaluate(rules, Conversation(tags: ["sales"]));
        var spam = Evaluate(rules, Conversation(tags: ["billing", "spam"]));
        var enterprise = Evaluate(rules, Conversation(tags: ["billing", "VIP customer"], priority: "urgent", admin: "7", attributes: """{"plan":"enterprise"}"""));
        var team = Evaluate(rules, Conversation(tags: ["billing"], priority: "urgent", team: "5"));
        var plain = Evaluate(rules, Conversation(tags: ["billing"]));

        Assert.Equal("not tagged billing (rule 'only-billing')", sales.SkipReason);
        Assert.Equal("tagged spam (exclude rule 'no-spam')", spam.SkipReason);
        Assert.Equal(((long?)null, 360002L), enterprise.Assign(7, 1));
        Assert.Equal(("high", "question"), (enterprise.Priority, enterprise.Type));
        Assert.Equal(["billing", "vip", "enterprise", "ferry"], enterprise.Tags);
        Assert.Equal([(360200L, (object)"enterprise"), (360201L, "urgent")], enterprise.CustomFields.Select(f => (f.Id, f.Value)));
        Assert.Equal((360001L, "urgent", "question"), (team.GroupId, team.Priority, team.Type));
        Assert.Equal(((long?)null, "normal", "question"), (plain.GroupId, plain.Priority, plain.Type));
    }
}
