using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.TicketService.Sync;

namespace Ferry.TicketService.Rules;

/// <summary>
/// The configured rules, compiled once: <see cref="Evaluate"/> turns a conversation into a
/// <see cref="RoutingDecision"/>. Pure (no I/O, no clock), so it is tested without services.
/// </summary>
public sealed partial class RuleBook
{
    private readonly RulesOptions _rules;
    private readonly string _ferryTag;
    private readonly IReadOnlyList<Compiled> _include;
    private readonly IReadOnlyList<Compiled> _exclude;
    private readonly IReadOnlyList<(RouteRule Rule, Compiled Condition)> _routes;
    private readonly Dictionary<string, string> _tagMap;

    /// <param name="ferryTag">Dual:Tag, on every ticket.</param>
    public RuleBook(RulesOptions rules, string ferryTag)
    {
        _rules = rules;
        _ferryTag = ferryTag;
        _include = [.. rules.Include.Select(Compile)];
        _exclude = [.. rules.Exclude.Select(Compile)];
        _routes = [.. rules.Routes.Select(r => (r, Compile(r)))];
        _tagMap = new Dictionary<string, string>(rules.TagMap.Select(p => KeyValuePair.Create(p.Key.Trim(), p.Value.Trim())), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>True when nothing is configured: every conversation syncs exactly as without rules.</summary>
    public bool IsEmpty => _include.Count == 0 && _exclude.Count == 0 && _routes.Count == 0 && _tagMap.Count == 0
        && _rules.TeamGroups.Count == 0 && _rules.Defaults is { GroupId: null, Priority: null, Type: null, Tags.Count: 0, CustomFields.Count: 0 };

    public RoutingDecision Evaluate(IntercomConversation conversation)
    {
        var facts = Facts.Of(conversation);

        // Fields are decided for skipped conversations too: one that already has a ticket keeps syncing with them.
        string? skipRule = null, skipReason = null;
        if (_include.Count > 0 && !_include.Any(c => c.Matches(facts)))
        {
            var why = string.Join("; ", _include.Select(c => $"{c.FirstFailure(facts)} (rule '{c.Name}')"));
            skipRule = string.Join(",", _include.Select(c => c.Name));
            skipReason = _include.Count == 1 ? why : $"matches no include rule: {why}";
        }
        else if (_exclude.FirstOrDefault(c => c.Matches(facts)) is { } excluded)
        {
            skipRule = excluded.Name;
            skipReason = $"{excluded.Describe()} (exclude rule '{excluded.Name}')";
        }

        long? group = null;
        var groupOverrides = false;
        string? priority = null, type = null;
        var tags = new List<string>();
        var fields = new Dictionary<long, object>();
        var matched = new List<string>();

        void Take(TicketFields set)
        {
            if (group is null && set.GroupId is { } g)
            {
                group = g;
                groupOverrides = set.GroupOverridesAssignee;
            }

            priority ??= Blank(set.Priority)?.ToLowerInvariant();
            type ??= Blank(set.Type)?.ToLowerInvariant();
            tags.AddRange(set.Tags);
            foreach (var (id, template) in set.CustomFields)
            {
                var fieldId = long.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture);
                if (!fields.ContainsKey(fieldId) && Render(template, facts) is { } value)
                {
                    fields[fieldId] = value;
                }
            }
        }

        foreach (var (rule, condition) in _routes)
        {
            if (!condition.Matches(facts))
            {
                continue;
            }

            matched.Add(rule.Name);
            Take(rule.Set);
            if (rule.Stop)
            {
                break;
            }
        }

        if (group is null && facts.TeamId is { } team && _rules.TeamGroups.TryGetValue(team, out var teamGroup))
        {
            group = teamGroup;
        }

        Take(_rules.Defaults);
        return new RoutingDecision(skipRule, skipReason, Tags(conversation, tags), group, groupOverrides, priority, type,
            [.. fields.OrderBy(f => f.Key).Select(f => new ZendeskCustomField(f.Key, f.Value))], matched);
    }

    /// <summary>Conversation tags (renamed or dropped by TagMap) plus the rules' tags, normalised as Ferry normalises every tag.</summary>
    private IReadOnlyList<string> Tags(IntercomConversation conversation, IEnumerable<string> added)
    {
        var names = new List<IntercomTag>();
        foreach (var tag in conversation.Tags?.Tags ?? [])
        {
            if (!_tagMap.TryGetValue(tag.Name.Trim(), out var mapped))
            {
                names.Add(tag);
            }
            else if (mapped.Length > 0)
            {
                names.Add(tag with { Name = mapped });
            }
        }

        names.AddRange(added.Select(t => new IntercomTag("", t)));
        return TicketPlanner.Tags(conversation with { Tags = new IntercomTagList(names) }, _ferryTag);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // ---- templates ----

    public static readonly IReadOnlyList<string> Placeholders = ["attribute.NAME", "conversation.id", "team.id", "admin.id", "priority", "channel", "delivered_as"];

    /// <summary>The value for a custom field, or null when a placeholder has no value in this conversation.</summary>
    private static object? Render(string template, Facts facts)
    {
        var whole = PlaceholderPattern().Match(template.Trim());
        if (whole.Success && whole.Length == template.Trim().Length
            && whole.Groups[1].Value.StartsWith("attribute.", StringComparison.Ordinal)
            && facts.RawAttribute(whole.Groups[1].Value["attribute.".Length..]) is { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } typed)
        {
            // A number or checkbox attribute keeps its JSON type.
            return typed;
        }

        var missing = false;
        var text = PlaceholderPattern().Replace(template, m =>
        {
            var value = facts.Resolve(m.Groups[1].Value);
            missing |= string.IsNullOrEmpty(value);
            return value ?? "";
        });
        return missing || text.Length == 0 ? null : text;
    }

    internal static bool IsKnownPlaceholder(string name) =>
        name is "conversation.id" or "team.id" or "admin.id" or "priority" or "channel" or "delivered_as"
        || (name.StartsWith("attribute.", StringComparison.Ordinal) && name.Length > "attribute.".Length);

    [GeneratedRegex(@"\{\{\s*([^{}\s]+)\s*\}\}")]
    internal static partial Regex PlaceholderPattern();

    // ---- conditions ----

    private static Compiled Compile(RuleCondition c)
    {
        var clauses = new List<Clause>();
        if (c.TagsAny.Count > 0)
        {
            var list = Join(c.TagsAny);
            var any = c.TagsAny.Count == 1 ? "" : "any of ";
            clauses.Add(new(f => c.TagsAny.Any(f.HasTag), $"tagged {any}{list}", _ => $"not tagged {any}{list}"));
        }

        if (c.TagsAll.Count > 0)
        {
            clauses.Add(new(f => c.TagsAll.All(f.HasTag), $"tagged {Join(c.TagsAll)}", f => $"not tagged {Join(c.TagsAll.Where(t => !f.HasTag(t)))}"));
        }

        if (c.TagsNone.Count > 0)
        {
            clauses.Add(new(f => !c.TagsNone.Any(f.HasTag), $"not tagged {Join(c.TagsNone, " or ")}", f => $"tagged {Join(c.TagsNone.Where(f.HasTag))}"));
        }

        if (c.TeamIds.Count > 0)
        {
            clauses.Add(new(f => In(c.TeamIds, f.TeamId), $"assigned to team {Join(c.TeamIds, " or ")}", f => f.TeamId is null ? "not assigned to a team" : $"assigned to team {f.TeamId}, not {Join(c.TeamIds, " or ")}"));
        }

        if (c.AdminIds.Count > 0)
        {
            clauses.Add(new(f => In(c.AdminIds, f.AdminId), $"assigned to admin {Join(c.AdminIds, " or ")}", f => f.AdminId is null ? "not assigned to an admin" : $"assigned to admin {f.AdminId}, not {Join(c.AdminIds, " or ")}"));
        }

        if (c.Channels.Count > 0)
        {
            clauses.Add(new(f => In(c.Channels, f.Channel), $"from channel {Join(c.Channels, " or ")}", f => $"from channel {f.Channel ?? "(unknown)"}, not {Join(c.Channels, " or ")}"));
        }

        if (c.DeliveredAs.Count > 0)
        {
            clauses.Add(new(f => In(c.DeliveredAs, f.DeliveredAs), $"delivered as {Join(c.DeliveredAs, " or ")}", f => $"delivered as {f.DeliveredAs ?? "(unknown)"}, not {Join(c.DeliveredAs, " or ")}"));
        }

        if (c.Priorities.Count > 0)
        {
            clauses.Add(new(f => In(c.Priorities, f.Priority), $"Intercom priority {Join(c.Priorities, " or ")}", f => $"Intercom priority {f.Priority ?? "none"}, not {Join(c.Priorities, " or ")}"));
        }

        foreach (var (name, expected) in c.Attributes)
        {
            clauses.Add(new(f => string.Equals(f.Attribute(name), expected.Trim(), StringComparison.OrdinalIgnoreCase),
                $"attribute {name} = {expected}",
                f => f.Attribute(name) is { } actual ? $"attribute {name} is {actual}, not {expected}" : $"attribute {name} is not set (wanted {expected})"));
        }

        return new Compiled(c.Name, clauses);
    }

    private static bool In(List<string> values, string? value) =>
        value is not null && values.Any(v => string.Equals(v.Trim(), value, StringComparison.OrdinalIgnoreCase));

    private static string Join(IEnumerable<string> values, string separator = ", ") => string.Join(separator, values.Select(v => v.Trim()));

    private sealed record Clause(Func<Facts, bool> Test, string Positive, Func<Facts, string> Negative);

    private sealed record Compiled(string Name, IReadOnlyList<Clause> Clauses)
    {
        public bool Matches(Facts facts) => Clauses.All(c => c.Test(facts));

        public string Describe() => string.Join(" and ", Clauses.Select(c => c.Positive));

        public string FirstFailure(Facts facts) => Clauses.First(c => !c.Test(facts)).Negative(facts);
    }

    /// <summary>What conditions and templates read from a conversation.</summary>
    private sealed class Facts
    {
        private HashSet<string> _tags = null!;
        private Dictionary<string, JsonElement> _attributes = null!;

        public string ConversationId { get; private init; } = "";

        public string? TeamId { get; private init; }

        public string? AdminId { get; private init; }

        public string? Channel { get; private init; }

        public string? DeliveredAs { get; private init; }

        public string? Priority { get; private init; }

        public static Facts Of(IntercomConversation c) => new()
        {
            _tags = (c.Tags?.Tags ?? []).Select(t => t.Name.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase),
            _attributes = c.CustomAttributes is null
                ? new Dictionary<string, JsonElement>()
                : new Dictionary<string, JsonElement>(c.CustomAttributes, StringComparer.OrdinalIgnoreCase),
            ConversationId = c.Id,
            TeamId = Assigned(c.TeamAssigneeId),
            AdminId = Assigned(c.AdminAssigneeId),
            Channel = Blank(c.Source?.Type),
            DeliveredAs = Blank(c.Source?.DeliveredAs),
            Priority = Blank(c.Priority),
        };

        public bool HasTag(string tag) => _tags.Contains(tag.Trim());

        public JsonElement? RawAttribute(string name) => _attributes.TryGetValue(name, out var value) ? value : null;

        public string? Attribute(string name) => RawAttribute(name) is { } value ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        } : null;

        public string? Resolve(string placeholder) => placeholder switch
        {
            "conversation.id" => ConversationId,
            "team.id" => TeamId,
            "admin.id" => AdminId,
            "priority" => Priority,
            "channel" => Channel,
            "delivered_as" => DeliveredAs,
            _ when placeholder.StartsWith("attribute.", StringComparison.Ordinal) => Attribute(placeholder["attribute.".Length..]),
            _ => null,
        };

        private static string? Assigned(string? id) => string.IsNullOrWhiteSpace(id) || id.Trim() == "0" ? null : id.Trim();
    }
}
