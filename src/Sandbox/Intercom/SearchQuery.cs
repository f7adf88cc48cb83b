using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;

namespace Ferry.Sandbox.Intercom;

/// <summary>Intercom's search DSL: single filters <c>{field, operator, value}</c> and nested AND/OR.</summary>
public static class SearchQuery
{
    private static readonly string[] Operators = ["=", "!=", "IN", "NIN", "<", ">", "~", "!~", "^", "$"];

    /// <exception cref="FormatException">The query is one the real API would reject.</exception>
    public static Func<IcConversation, bool> Compile(JsonObject query, int depth = 0)
    {
        if (depth > 2)
        {
            throw new FormatException("Search queries nest at most two levels of AND/OR.");
        }

        var op = query.Str("operator") ?? throw new FormatException("Each query needs an operator.");
        if (op is "AND" or "OR")
        {
            if (query["value"] is not JsonArray items || items.Count == 0)
            {
                throw new FormatException($"{op} needs a non-empty value array of queries.");
            }

            var parts = items.Select(i => i is JsonObject o ? Compile(o, depth + 1) : throw new FormatException("Nested queries must be objects.")).ToList();
            return op == "AND" ? c => parts.All(p => p(c)) : c => parts.Any(p => p(c));
        }

        if (!Operators.Contains(op))
        {
            throw new FormatException($"Operator '{op}' is not supported (use one of {string.Join(' ', Operators)}, AND, OR).");
        }

        var field = query.Str("field") ?? throw new FormatException("A single filter needs field, operator and value.");
        var value = query["value"];
        Func<IcConversation, object?> get = field switch
        {
            "id" => c => c.Id,
            "created_at" => c => c.CreatedAt,
            "updated_at" => c => c.UpdatedAt,
            "state" => c => c.State,
            "open" => c => c.State != "closed",
            "priority" => c => c.Priority,
            "admin_assignee_id" => c => c.AdminAssigneeId ?? 0,
            "team_assignee_id" => c => c.TeamAssigneeId ?? 0,
            "contact_ids" => c => c.ContactIds.FirstOrDefault(),
            "tag_ids" => c => c.Tags.FirstOrDefault()?.Id,
            _ => throw new FormatException($"Field '{field}' is not searchable in the sandbox."),
        };

        var isNumber = field is "created_at" or "updated_at" or "admin_assignee_id" or "team_assignee_id";
        if (op is "<" or ">" && !isNumber)
        {
            throw new FormatException($"Operator {op} needs a numeric or date field, not '{field}'.");
        }

        if (op is "IN" or "NIN")
        {
            if (value is not JsonArray list)
            {
                throw new FormatException($"{op} needs an array value.");
            }

            var set = list.Select(v => Text(v)).ToHashSet();
            return op == "IN" ? c => set.Contains(Text(get(c))) : c => !set.Contains(Text(get(c)));
        }

        if (value is null or JsonArray or JsonObject)
        {
            throw new FormatException($"Filter on '{field}' needs a scalar value.");
        }

        var expected = Text(value);
        if (isNumber)
        {
            if (!long.TryParse(expected, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                throw new FormatException($"Filter on '{field}' needs an integer (unix seconds) value.");
            }

            return op switch
            {
                ">" => c => (long)get(c)! > n,
                "<" => c => (long)get(c)! < n,
                "=" => c => (long)get(c)! == n,
                "!=" => c => (long)get(c)! != n,
                _ => throw new FormatException($"Operator {op} does not apply to '{field}'."),
            };
        }

        return op switch
        {
            "=" => c => Text(get(c)) == expected,
            "!=" => c => Text(get(c)) != expected,
            "~" => c => Text(get(c)).Contains(expected, StringComparison.OrdinalIgnoreCase),
            "!~" => c => !Text(get(c)).Contains(expected, StringComparison.OrdinalIgnoreCase),
            "^" => c => Text(get(c)).StartsWith(expected, StringComparison.OrdinalIgnoreCase),
            _ => c => Text(get(c)).EndsWith(expected, StringComparison.OrdinalIgnoreCase),
        };
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonNode n => n.ToJsonString(),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
