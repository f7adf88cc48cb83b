using System.Text.Json.Nodes;
using Ferry.Sandbox.Common;

namespace Ferry.Sandbox.Zendesk;

/// <summary>
/// The bulk users endpoints a backfill uses: <c>GET /api/v2/users/show_many</c> (≤ 100 ids or external ids,
/// active users only unless include_deleted) and <c>POST /api/v2/users/create_many</c> (≤ 100 users, a
/// job_status; a user whose email or external_id is taken fails in the job's results, nothing is updated).
/// </summary>
public static class ZendeskBulkUserEndpoints
{
    private const int MaxPerRequest = 100;

    public static void MapZendeskBulkUsers(this RouteGroupBuilder api)
    {
        api.MapGet("/api/v2/users/show_many", ShowMany);
        api.MapPost("/api/v2/users/create_many", CreateMany);
    }

    private static IResult ShowMany(HttpRequest request, ZendeskState state, string? ids, string? external_ids, bool include_deleted = false)
    {
        var (values, byExternalId) = external_ids is not null ? (external_ids, true) : (ids ?? "", false);
        var wanted = values.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (wanted.Length is 0 or > MaxPerRequest)
        {
            return VendorErrors.ZendeskBadRequest("Supply between 1 and 100 ids or external_ids.");
        }

        var set = wanted.ToHashSet(StringComparer.Ordinal);
        var users = state.Users()
            .Where(u => (include_deleted || u.Active)
                && (byExternalId ? u.ExternalId is { } e && set.Contains(e) : set.Contains(u.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            .ToList();
        var b = ZendeskEndpoints.Base(request);
        return SandboxJson.Result(new { users = users.Select(u => ZendeskJson.User(u, b)), next_page = (string?)null, previous_page = (string?)null, count = users.Count });
    }

    private static async Task<IResult> CreateMany(HttpRequest request, ZendeskState state, CancellationToken ct)
    {
        var (body, error, _) = await SandboxJson.ReadObjectAsync(request, ct);
        if (error is not null || body!["users"] is not JsonArray users)
        {
            return VendorErrors.ZendeskBadRequest(error ?? "The body must be {\"users\": [ … ]}.");
        }

        if (users.Count is 0 or > MaxPerRequest)
        {
            return VendorErrors.ZendeskBadRequest("Between 1 and 100 users per request.");
        }

        var results = new List<Dictionary<string, object?>>();
        foreach (var (node, index) in users.Select((n, i) => (n, i)))
        {
            results.Add(node is JsonObject user ? Create(state, user, index) : Failed(index, "InvalidValue", "not an object"));
        }

        return SandboxJson.Result(ZendeskJson.Job(state.AddJob("bulk_create_users", results), ZendeskEndpoints.Base(request)));
    }

    /// <summary>create_many never updates: a taken external_id or address fails the item (Zendesk: "has already been taken").</summary>
    private static Dictionary<string, object?> Create(ZendeskState state, JsonObject user, int index)
    {
        if (user.Str("external_id") is { } externalId && state.SearchUsers(null, externalId).Count > 0)
        {
            return Failed(index, "DuplicateValue", $"External: {externalId} has already been taken");
        }

        var created = state.CreateOrUpdateUser(user, createOnly: true);
        return created.Error is null
            ? new() { ["index"] = index, ["id"] = created.Value.User.Id, ["status"] = "Created", ["success"] = true, ["email"] = created.Value.User.Email, ["external_id"] = created.Value.User.ExternalId }
            : Failed(index, "InvalidValue", "The user was rejected (an address is already being used by another user, or a field is invalid); create it alone to see the reason.");
    }

    private static Dictionary<string, object?> Failed(int index, string code, string details) =>
        new() { ["index"] = index, ["id"] = 0L, ["action"] = "create", ["status"] = "Failed", ["success"] = false, ["error"] = code, ["details"] = details };
}
