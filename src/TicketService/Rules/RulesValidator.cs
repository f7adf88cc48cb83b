using System.Globalization;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Rules;

/// <summary>Checks section "Rules" at start-up, naming the exact setting that is wrong and what it may be.</summary>
public sealed class RulesValidator : IValidateOptions<RulesOptions>
{
    public static readonly string[] Priorities = ["low", "normal", "high", "urgent"];
    public static readonly string[] Types = ["problem", "incident", "question", "task"];
    public static readonly string[] IntercomPriorities = ["none", "low", "medium", "high", "urgent"];
    public static readonly string[] DeliveredAsValues = ["customer_initiated", "admin_initiated", "automated", "campaigns_initiated", "operator_initiated"];

    public ValidateOptionsResult Validate(string? name, RulesOptions options) =>
        Errors(options) is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;

    public static IReadOnlyList<string> Errors(RulesOptions options)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Conditions(string list, IReadOnlyList<RuleCondition> conditions)
        {
            for (var i = 0; i < conditions.Count; i++)
            {
                var at = $"{RulesOptions.Section}:{list}:{i}";
                var condition = conditions[i];
                if (string.IsNullOrWhiteSpace(condition.Name))
                {
                    errors.Add($"{at}:Name is required (it names the rule in skip reasons, logs and metrics).");
                }
                else if (!names.Add(condition.Name.Trim()))
                {
                    errors.Add($"{at}:Name '{condition.Name}' is used by another rule; rule names must be unique.");
                }

                if (!HasClause(condition))
                {
                    errors.Add($"{at} ('{condition.Name}') has no condition: set at least one of TagsAny, TagsAll, TagsNone, TeamIds, AdminIds, Channels, DeliveredAs, Priorities, Attributes"
                        + (list == "Routes" ? " (fields for every conversation belong in Rules:Defaults)." : "."));
                }

                foreach (var (field, values) in new[] { ("TagsAny", condition.TagsAny), ("TagsAll", condition.TagsAll), ("TagsNone", condition.TagsNone), ("TeamIds", condition.TeamIds), ("AdminIds", condition.AdminIds), ("Channels", condition.Channels) })
                {
                    if (values.Any(string.IsNullOrWhiteSpace))
                    {
                        errors.Add($"{at}:{field} contains an empty value.");
                    }
                }

                Among(errors, $"{at}:DeliveredAs", condition.DeliveredAs, DeliveredAsValues);
                Among(errors, $"{at}:Priorities", condition.Priorities, IntercomPriorities);
                if (condition.Attributes.Any(a => string.IsNullOrWhiteSpace(a.Key)))
                {
                    errors.Add($"{at}:Attributes has an empty attribute name.");
                }
            }
        }

        Conditions("Include", options.Include);
        Conditions("Exclude", options.Exclude);
        Conditions("Routes", options.Routes);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            Fields(errors, $"{RulesOptions.Section}:Routes:{i}:Set", options.Routes[i].Set);
            if (IsEmpty(options.Routes[i].Set))
            {
                errors.Add($"{RulesOptions.Section}:Routes:{i} ('{options.Routes[i].Name}') sets nothing: give it Set:GroupId, Priority, Type, Tags or CustomFields.");
            }
        }

        Fields(errors, $"{RulesOptions.Section}:Defaults", options.Defaults);
        foreach (var (team, group) in options.TeamGroups)
        {
            if (string.IsNullOrWhiteSpace(team) || group <= 0)
            {
                errors.Add($"{RulesOptions.Section}:TeamGroups:{team} must map an Intercom team id to a positive Zendesk group id (got {group.ToString(CultureInfo.InvariantCulture)}).");
            }
        }

        foreach (var tag in options.TagMap.Keys.Where(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{RulesOptions.Section}:TagMap has an empty Intercom tag name ('{tag}').");
        }

        return errors;
    }

    private static void Fields(List<string> errors, string at, TicketFields fields)
    {
        if (fields.GroupId is <= 0)
        {
            errors.Add($"{at}:GroupId must be a positive Zendesk group id (got {fields.GroupId.Value.ToString(CultureInfo.InvariantCulture)}).");
        }

        if (!string.IsNullOrWhiteSpace(fields.Priority))
        {
            Among(errors, $"{at}:Priority", [fields.Priority], Priorities);
        }

        if (!string.IsNullOrWhiteSpace(fields.Type))
        {
            Among(errors, $"{at}:Type", [fields.Type], Types);
        }

        if (fields.Tags.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{at}:Tags contains an empty tag.");
        }

        foreach (var (id, template) in fields.CustomFields)
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var fieldId) || fieldId <= 0)
            {
                errors.Add($"{at}:CustomFields:{id}: the key must be a Zendesk ticket field id (a positive number), e.g. CustomFields:360012345=\"{{{{attribute.plan}}}}\".");
            }

            if (string.IsNullOrWhiteSpace(template))
            {
                errors.Add($"{at}:CustomFields:{id} has an empty value.");
                continue;
            }

            foreach (var placeholder in RuleBook.PlaceholderPattern().Matches(template).Select(m => m.Groups[1].Value).Where(p => !RuleBook.IsKnownPlaceholder(p)))
            {
                errors.Add($"{at}:CustomFields:{id}: unknown placeholder {{{{{placeholder}}}}}; use one of {string.Join(", ", RuleBook.Placeholders.Select(p => $"{{{{{p}}}}}"))}.");
            }
        }
    }

    private static void Among(List<string> errors, string at, IEnumerable<string> values, string[] allowed)
    {
        foreach (var value in values.Where(v => !allowed.Contains(v.Trim(), StringComparer.OrdinalIgnoreCase)))
        {
            errors.Add($"{at}: '{value}' is not one of {string.Join(", ", allowed)}.");
        }
    }

    private static bool HasClause(RuleCondition c) =>
        c.TagsAny.Count + c.TagsAll.Count + c.TagsNone.Count + c.TeamIds.Count + c.AdminIds.Count + c.Channels.Count + c.DeliveredAs.Count + c.Priorities.Count + c.Attributes.Count > 0;

    private static bool IsEmpty(TicketFields f) =>
        f.GroupId is null && string.IsNullOrWhiteSpace(f.Priority) && string.IsNullOrWhiteSpace(f.Type) && f.Tags.Count == 0 && f.CustomFields.Count == 0;
}
