using System.Net;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

public sealed class ZendeskUsersTests(SandboxServer sandbox)
{
    [Fact]
    public async Task Create_or_update_creates_then_updates_by_email_case_insensitively()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var email = $"{TestJson.Unique("Mixed")}@Example.com";

        var (created, body) = await zendesk.PostJsonAsync("api/v2/users/create_or_update", new { user = new { name = "Ann", email } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = body["user"]!["id"]!.GetValue<long>();

        var (updated, again) = await zendesk.PostJsonAsync("api/v2/users/create_or_update", new { user = new { name = "Ann B", email = email.ToUpperInvariant(), external_id = "ext-" + id } });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(id, again["user"]!["id"]!.GetValue<long>());
        Assert.Equal("Ann B", again["user"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Me_is_the_API_user_an_admin_with_the_accounts_email_and_the_author_of_an_update_comment_without_author_id()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Requester", $"{TestJson.Unique("req")}@corp.example");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/tickets", new { ticket = new { subject = "Hi", requester_id = requester.Id, comment = new { body = "Hello" } } });
        var ticketId = created["ticket"]!["id"]!.GetValue<long>();

        var (ok, me) = await zendesk.GetJsonAsync("api/v2/users/me");
        var (_, again) = await zendesk.GetJsonAsync("api/v2/users/me");
        await zendesk.PutJsonAsync($"api/v2/tickets/{ticketId}", new { ticket = new { comment = new { body = "From the API", @public = false } } });

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var apiUserId = me["user"]!["id"]!.GetValue<long>();
        Assert.Equal(apiUserId, again["user"]!["id"]!.GetValue<long>());
        Assert.Equal("admin", me["user"]!["role"]!.GetValue<string>());
        Assert.Equal(sandbox.ZendeskEmail, me["user"]!["email"]!.GetValue<string>());
        Assert.Equal(apiUserId, sandbox.Zendesk.Ticket(ticketId)!.Comments[^1].AuthorId);
    }

    [Fact]
    public void The_API_user_outlives_a_reset_of_the_accounts_data_as_the_account_does()
    {
        // A state of its own: a reset of the shared sandbox would wipe the other tests' records.
        var state = new Ferry.Sandbox.Zendesk.ZendeskState(new Ferry.Sandbox.Common.SandboxClock(TimeProvider.System), new Ferry.Sandbox.Extensions.SandboxOptions());
        var apiUser = state.ApiUser();
        state.AddUser("Customer", "customer@corp.example");

        state.Reset();

        Assert.Equal(apiUser.Id, state.ApiUser().Id);
        Assert.Equal([apiUser.Id], state.Users().Select(u => u.Id));
    }

    [Fact]
    public async Task Show_many_by_external_ids_and_create_many_as_a_polled_job_that_refuses_taken_addresses_and_external_ids()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var takenEmail = $"{TestJson.Unique("taken")}@corp.example";
        var takenExternalId = TestJson.Unique("ext");
        var existing = sandbox.Zendesk.AddUser("Existing", takenEmail, externalId: takenExternalId);

        var (_, shown) = await zendesk.GetJsonAsync($"api/v2/users/show_many?external_ids={takenExternalId},{TestJson.Unique("missing")}");
        Assert.Equal([existing.Id], shown["users"]!.AsArray().Select(u => u!["id"]!.GetValue<long>()));
        var (tooMany, _) = await zendesk.GetJsonAsync($"api/v2/users/show_many?ids={string.Join(',', Enumerable.Range(1, 101))}");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);

        var freshEmail = $"{TestJson.Unique("fresh")}@corp.example";
        var (accepted, job) = await zendesk.PostJsonAsync("api/v2/users/create_many", new
        {
            users = new object[]
            {
                new { name = "Fresh", email = freshEmail, external_id = TestJson.Unique("ext") },
                new { name = "Same address", email = takenEmail },
                new { name = "Same external id", email = $"{TestJson.Unique("other")}@corp.example", external_id = takenExternalId },
            },
        });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("queued", job["job_status"]!["status"]!.GetValue<string>());
        var id = job["job_status"]!["id"]!.GetValue<string>();

        // Runs in the background: "queued", then "working", then "completed" with the results.
        var (_, first) = await zendesk.GetJsonAsync($"api/v2/job_statuses/{id}");
        var (_, working) = await zendesk.GetJsonAsync($"api/v2/job_statuses/{id}");
        Assert.Equal(("queued", "working"), (first["job_status"]!["status"]!.GetValue<string>(), working["job_status"]!["status"]!.GetValue<string>()));
        var (_, done) = await zendesk.GetJsonAsync($"api/v2/job_statuses/{id}");
        Assert.Equal("completed", done["job_status"]!["status"]!.GetValue<string>());
        var results = done["job_status"]!["results"]!.AsArray();
        Assert.Equal([true, false, false], results.Select(r => r!["success"]!.GetValue<bool>()));
        Assert.Equal(1, sandbox.Zendesk.Users().Count(u => u.HasEmail(freshEmail)));
        Assert.Equal(results[0]!["id"]!.GetValue<long>(), sandbox.Zendesk.Users().Single(u => u.HasEmail(freshEmail)).Id);
        Assert.Equal(1, sandbox.Zendesk.Users().Count(u => u.ExternalId == takenExternalId));
    }

    [Fact]
    public async Task Search_finds_users_by_secondary_email_and_external_id_with_or_without_json_suffix()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var primary = $"{TestJson.Unique("p")}@corp.example";
        var secondary = $"{TestJson.Unique("s")}@home.example";
        var externalId = TestJson.Unique("ext");
        var user = sandbox.Zendesk.AddUser("Sam", primary, externalId: externalId, secondaryEmails: [secondary]);

        var (_, byEmail) = await zendesk.GetJsonAsync($"api/v2/users/search.json?query=email:{Uri.EscapeDataString(secondary.ToUpperInvariant())}");
        Assert.Equal(user.Id, byEmail["users"]![0]!["id"]!.GetValue<long>());

        var (_, byExternal) = await zendesk.GetJsonAsync($"api/v2/users/search?external_id={externalId}");
        Assert.Single(byExternal["users"]!.AsArray());

        var (_, identities) = await zendesk.GetJsonAsync($"api/v2/users/{user.Id}/identities");
        Assert.Equal(2, identities["identities"]!.AsArray().Count);
    }

    [Fact]
    public async Task Search_is_full_text_wildcards_and_partial_values_match_and_quotes_keep_a_value_literal()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var domain = $"{TestJson.Unique("acme")}.test";
        var alice = sandbox.Zendesk.AddUser("Alice", $"alice@{domain}");
        var jimBob = sandbox.Zendesk.AddUser("Jim Bob", $"jim.bob@{domain}");

        async Task<long[]> Search(string query)
        {
            var (_, page) = await zendesk.GetJsonAsync($"api/v2/users/search?query={Uri.EscapeDataString(query)}");
            return [.. page["users"]!.AsArray().Select(u => u!["id"]!.GetValue<long>())];
        }

        Assert.Equal([alice.Id, jimBob.Id], await Search($"email:*@{domain}"));
        Assert.Equal([jimBob.Id], await Search($"email:bob@{domain}"));
        Assert.Equal([jimBob.Id], await Search($"email:\"BOB@{domain}\""));
        Assert.Empty(await Search($"email:\"*@{domain}\""));
        Assert.Equal([alice.Id], await Search($"email:\"alice@{domain}\" Alice"));
    }

    [Fact]
    public async Task Identities_can_be_added_but_not_stolen_from_another_user()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var a = sandbox.Zendesk.AddUser("A", $"{TestJson.Unique("a")}@x.example");
        var b = sandbox.Zendesk.AddUser("B", $"{TestJson.Unique("b")}@x.example");
        var extra = $"{TestJson.Unique("extra")}@x.example";

        var (added, _) = await zendesk.PostJsonAsync($"api/v2/users/{a.Id}/identities", new { identity = new { type = "email", value = extra } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var (stolen, error) = await zendesk.PostJsonAsync($"api/v2/users/{b.Id}/identities", new { identity = new { type = "email", value = extra } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stolen.StatusCode);
        Assert.Equal("RecordInvalid", error["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Agent_directory_lists_agents_and_deleted_users_leave_search()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var agent = sandbox.Zendesk.AddUser("Agent", $"{TestJson.Unique("agent")}@support.example", role: "agent");
        var gone = sandbox.Zendesk.AddUser("Gone", $"{TestJson.Unique("gone")}@x.example");

        var (_, agents) = await zendesk.GetJsonAsync("api/v2/users?role=agent&per_page=100");
        Assert.Contains(agents["users"]!.AsArray(), u => u!["id"]!.GetValue<long>() == agent.Id);

        var (deleted, _) = await zendesk.SendJsonAsync(HttpMethod.Delete, $"api/v2/users/{gone.Id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var (_, search) = await zendesk.GetJsonAsync($"api/v2/users/search?query=email:{gone.Email}");
        Assert.Empty(search["users"]!.AsArray());
        var (_, shown) = await zendesk.GetJsonAsync($"api/v2/users/{gone.Id}");
        Assert.False(shown["user"]!["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Requests_without_valid_credentials_get_401_in_the_vendor_shape()
    {
        using var anonymous = new HttpClient { BaseAddress = sandbox.ZendeskBaseUrl };
        var (response, body) = await anonymous.GetJsonAsync("api/v2/users/1");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Couldn't authenticate you", body["error"]!.GetValue<string>());

        using var bearer = new HttpClient { BaseAddress = sandbox.ZendeskBaseUrl };
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", sandbox.ZendeskApiToken);
        var (ok, _) = await bearer.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var intercom = new HttpClient { BaseAddress = sandbox.IntercomBaseUrl };
        intercom.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");
        var (denied, error) = await intercom.GetJsonAsync("admins");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal("error.list", error["type"]!.GetValue<string>());
        Assert.Equal("unauthorized", error["errors"]![0]!["code"]!.GetValue<string>());
    }
}
