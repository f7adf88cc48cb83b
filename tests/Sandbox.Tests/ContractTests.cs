using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Contracts;
using Ferry.Sandbox.Intercom;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

/// <summary>
/// Every sandbox endpoint Ferry uses, checked against the vendor's own OpenAPI JSON schema with a real
/// validator (JsonSchema.Net over the converted YAML).
/// </summary>
public sealed class ContractTests(SandboxServer sandbox)
{
    [Theory]
    [InlineData("intercom")]
    [InlineData("zendesk")]
    public void Every_vendor_schema_compiles_strictly(string vendor)
    {
        var problems = OpenApiContract.ForVendor(vendor).CompileAll();
        Assert.True(problems.Count == 0, $"{problems.Count} schemas do not compile:\n{string.Join('\n', problems.Take(50))}");
    }

    [Fact]
    public void Without_the_two_documented_fixes_intercom_schemas_fail_loudly()
    {
        var contract = OpenApiContract.ForVendor("intercom");
        using var reader = new StreamReader(typeof(OpenApiContract).Assembly.GetManifestResourceStream("Ferry.Sandbox.Contracts.OpenApi.intercom-2.16.yaml")!);
        var raw = new OpenApiContract("intercom-unfixed", (JsonObject)YamlJson.Load(reader)!, applyDocumentedFixes: false);
        var problems = raw.CompileAll();
        Assert.NotEmpty(problems);
        Assert.Contains(problems, p => p.Contains("#/components/schemas/conversation", StringComparison.Ordinal));
        Assert.Empty(contract.CompileAll());
    }

    [Fact]
    public void Concurrent_first_requests_for_one_operation_build_its_schema_once()
    {
        // One schema per path template (not per ticket id), built once even when the first requests race:
        // two builds would register its $id twice ("Overwriting registered schemas is not permitted", a 500).
        var document = (JsonObject)JsonNode.Parse("""
            {"paths":{"/things/{id}":{"put":{"requestBody":{"content":{"application/json":{"schema":
              {"type":"object","properties":{"thing":{"type":"object","properties":{"name":{"type":"string"}}}}}}}}}}},
             "components":{"schemas":{}}}
            """)!;
        for (var round = 0; round < 20; round++)
        {
            var contract = new OpenApiContract($"concurrency-{round}", document);
            using var start = new Barrier(8);
            var schemas = new Json.Schema.JsonSchema?[8];
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                schemas[i] = contract.RequestSchema("PUT", $"/things/{i}");
            });
            Assert.All(schemas, s => Assert.Same(schemas[0], s));
            Assert.NotNull(schemas[0]);
        }
    }

    [Fact]
    public void The_validator_rejects_a_response_of_the_wrong_shape()
    {
        var schema = OpenApiContract.ForVendor("intercom").ResponseSchema("GET", "/conversations/{conversation_id}", 200)!;
        using var wrong = JsonDocument.Parse("""{"type":"conversation","id":123,"state":"archived","conversation_parts":{"conversation_parts":[{"author":{"type":"admin","id":5}}]}}""");
        var errors = OpenApiContract.Errors(OpenApiContract.Evaluate(schema, wrong.RootElement));
        Assert.Contains(errors, e => e.StartsWith("/id", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("/state", StringComparison.Ordinal));
    }

    private static async Task AssertMatchesAsync(string vendor, HttpMethod method, string template, HttpResponseMessage response)
    {
        var contract = OpenApiContract.ForVendor(vendor);
        var status = (int)response.StatusCode;
        var schema = contract.ResponseSchema(method.Method, template, status);
        Assert.True(schema is not null, $"{vendor} {method} {template} declares no JSON schema for {status}.");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var results = OpenApiContract.Evaluate(schema!, document.RootElement);
        Assert.True(results.IsValid, $"{vendor} {method} {template} {status} does not match its schema:\n{string.Join('\n', OpenApiContract.Errors(results).Take(20))}");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(body);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    [Fact]
    public async Task Zendesk_responses_match_the_zendesk_schemas()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var agent = sandbox.Zendesk.AddUser("Agent Z", $"{TestJson.Unique("agz")}@support.example", "agent");
        var email = $"{TestJson.Unique("cz")}@x.example";

        async Task Check(HttpMethod method, string template, string path, object? body = null, HttpStatusCode? expected = null)
        {
            using var response = await SendAsync(zendesk, method, path, body);
            if (expected is not null)
            {
                Assert.Equal(expected, response.StatusCode);
            }

            await AssertMatchesAsync("zendesk", method, template, response);
        }

        using var created = await SendAsync(zendesk, HttpMethod.Post, "api/v2/users/create_or_update", new { user = new { name = "Cz", email, external_id = "ext-" + email } });
        await AssertMatchesAsync("zendesk", HttpMethod.Post, "/api/v2/users/create_or_update", created);
        var userId = JsonNode.Parse(await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["user"]!["id"]!.GetValue<long>();

        await Check(HttpMethod.Get, "/api/v2/users/search", $"api/v2/users/search?query=email:{email}");
        await Check(HttpMethod.Get, "/api/v2/users/search", $"api/v2/users/search?external_id=ext-{email}");
        await Check(HttpMethod.Get, "/api/v2/users/{user_id}", $"api/v2/users/{userId}");
        await Check(HttpMethod.Get, "/api/v2/users", "api/v2/users?role=agent");
        await Check(HttpMethod.Post, "/api/v2/users/{user_id}/identities", $"api/v2/users/{userId}/identities", new { identity = new { type = "email", value = "second-" + email } }, HttpStatusCode.Created);
        await Check(HttpMethod.Get, "/api/v2/users/{user_id}/identities", $"api/v2/users/{userId}/identities");
        await Check(HttpMethod.Get, "/api/v2/groups", "api/v2/groups");
        await Check(HttpMethod.Get, "/api/v2/ticket_fields", "api/v2/ticket_fields");

        using var upload = new ByteArrayContent("attachment body"u8.ToArray());
        upload.Headers.ContentType = new("text/plain");
        using var uploaded = await zendesk.PostAsync("api/v2/uploads?filename=notes.txt", upload, TestContext.Current.CancellationToken);
        await uploaded.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        await AssertMatchesAsync("zendesk", HttpMethod.Post, "/api/v2/uploads", uploaded);
        var token = JsonNode.Parse(await uploaded.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["upload"]!["token"]!.GetValue<string>();

        var ticket = new
        {
            ticket = new
            {
                requester_id = userId,
                assignee_id = agent.Id,
                subject = "Contract",
                external_id = TestJson.Unique("intercom-conversation"),
                tags = new[] { "intercom" },
                custom_fields = new[] { new { id = 360200, value = "123" } },
                comments = new object[]
                {
                    new { author_id = userId, created_at = "2024-05-01T10:00:00Z", html_body = "<p>Hello</p>", @public = true, uploads = new[] { token } },
                    new { author_id = agent.Id, created_at = "2024-05-01T11:00:00Z", value = "Note", @public = false },
                },
            },
        };
        using var imported = await SendAsync(zendesk, HttpMethod.Post, "api/v2/imports/tickets", ticket);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        await AssertMatchesAsync("zendesk", HttpMethod.Post, "/api/v2/imports/tickets", imported);
        var ticketJson = JsonNode.Parse(await imported.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["ticket"]!;
        var ticketId = ticketJson["id"]!.GetValue<long>();

        await Check(HttpMethod.Get, "/api/v2/tickets/{ticket_id}", $"api/v2/tickets/{ticketId}");
        await Check(HttpMethod.Get, "/api/v2/tickets/{ticket_id}/comments", $"api/v2/tickets/{ticketId}/comments");
        await Check(HttpMethod.Get, "/api/v2/tickets", $"api/v2/tickets?external_id={ticketJson["external_id"]}");
        await Check(HttpMethod.Put, "/api/v2/tickets/{ticket_id}", $"api/v2/tickets/{ticketId}", new { ticket = new { status = "solved", comment = new { html_body = "<p>Done</p>", @public = true, author_id = agent.Id } } }, HttpStatusCode.OK);
        await Check(HttpMethod.Post, "/api/v2/tickets", "api/v2/tickets", new { ticket = new { requester_id = userId, subject = "New", comment = new { body = "x" } } }, HttpStatusCode.Created);

        using var job = await SendAsync(zendesk, HttpMethod.Post, "api/v2/imports/tickets/create_many", new { tickets = new[] { new { requester_id = userId, subject = "Bulk", comments = new[] { new { author_id = userId, value = "x" } } } } });
        await AssertMatchesAsync("zendesk", HttpMethod.Post, "/api/v2/imports/tickets/create_many", job);
        var jobId = JsonNode.Parse(await job.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["job_status"]!["id"]!.GetValue<string>();
        await Check(HttpMethod.Get, "/api/v2/job_statuses/{job_status_id}", $"api/v2/job_statuses/{jobId}");
        await Check(HttpMethod.Get, "/api/v2/job_statuses/{job_status_id}", $"api/v2/job_statuses/{jobId}");
    }

    [Fact]
    public async Task Intercom_responses_match_the_intercom_schemas()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var conversations = sandbox.Scenarios.Seed(6, seed: 3);
        var (admin, _, _) = sandbox.Scenarios.EnsureStaff();
        var withAttachment = sandbox.Intercom.CreateConversation(sandbox.Intercom.AddContact("user", $"{TestJson.Unique("u")}@x.example", "U", "crm-1"),
            "Files", "<p>file</p>", [new IcAttachment("a.png", "image/png", 100, 1, 10, 10)]);

        async Task Check(HttpMethod method, string template, string path, object? body = null)
        {
            using var response = await SendAsync(intercom, method, path, body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await AssertMatchesAsync("intercom", method, template, response);
        }

        foreach (var c in conversations.Append(withAttachment))
        {
            await Check(HttpMethod.Get, "/conversations/{conversation_id}", $"conversations/{c.Id}");
        }

        await Check(HttpMethod.Get, "/conversations", "conversations?per_page=5");
        await Check(HttpMethod.Post, "/conversations/search", "conversations/search", new
        {
            query = new { @operator = "AND", value = new object[] { new { field = "updated_at", @operator = ">", value = 0 } } },
            pagination = new { per_page = 3 },
        });
        var id = conversations[0].Id;
        await Check(HttpMethod.Post, "/conversations/{conversation_id}/reply", $"conversations/{id}/reply", new { message_type = "comment", type = "admin", admin_id = admin.Id, body = "<p>Hi</p>" });
        await Check(HttpMethod.Post, "/conversations/{conversation_id}/reply", $"conversations/{id}/reply", new { message_type = "note", type = "admin", admin_id = admin.Id, body = "<p>Note</p>" });
        await Check(HttpMethod.Post, "/conversations/{conversation_id}/parts", $"conversations/{id}/parts", new { message_type = "close", type = "admin", admin_id = admin.Id });
        await Check(HttpMethod.Post, "/conversations/{conversation_id}/parts", $"conversations/{id}/parts", new { message_type = "open", type = "admin", admin_id = admin.Id });
        foreach (var contact in sandbox.Intercom.Contacts().Take(5))
        {
            await Check(HttpMethod.Get, "/contacts/{contact_id}", $"contacts/{contact.Id}");
        }

        await Check(HttpMethod.Get, "/admins", "admins");
        await Check(HttpMethod.Get, "/admins/{admin_id}", $"admins/{admin.Id}");
        await Check(HttpMethod.Get, "/teams", "teams");
        await Check(HttpMethod.Get, "/tags", "tags");
    }

    [Fact]
    public async Task Error_bodies_match_the_vendor_error_schemas()
    {
        using var intercom = sandbox.CreateIntercomClient();
        using var missing = await SendAsync(intercom, HttpMethod.Get, "conversations/1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await AssertMatchesAsync("intercom", HttpMethod.Get, "/conversations/{conversation_id}", missing);

        using var anonymous = new HttpClient { BaseAddress = sandbox.IntercomBaseUrl };
        using var unauthorized = await SendAsync(anonymous, HttpMethod.Get, "admins");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        await AssertMatchesAsync("intercom", HttpMethod.Get, "/admins", unauthorized);
    }
}

public sealed class RequestValidationTests(SandboxServer sandbox)
{
    [Fact]
    public async Task Requests_the_real_api_would_reject_get_400_with_the_reason()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var (search, error) = await intercom.PostJsonAsync("conversations/search", new { query = new { field = "updated_at", @operator = ">", value = 1 }, pagination = new { per_page = "ten" } });
        Assert.Equal(HttpStatusCode.BadRequest, search.StatusCode);
        Assert.Contains("per_page", error["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var zendesk = sandbox.CreateZendeskClient();
        var (import, zerror) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new { ticket = new { requester_id = "not a number", subject = 5 } });
        Assert.Equal(HttpStatusCode.BadRequest, import.StatusCode);
        Assert.Contains("schema", zerror["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
