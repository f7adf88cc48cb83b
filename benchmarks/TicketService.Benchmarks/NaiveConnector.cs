using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Ferry.TicketService.Benchmarks;

/// <summary>
/// The baseline: what a Zapier-style recipe does. Read the conversation from Intercom; for each
/// author, "find user by email, create if missing"; create the ticket with the first message; then one
/// ticket update per remaining part. No import API, no caching across conversations, no retries,
/// no idempotency. Plain HttpClients, the same sandbox as Ferry.
/// </summary>
public sealed class NaiveConnector(HttpClient intercom, HttpClient zendesk)
{
    public const string ExternalIdPrefix = "naive-conversation-";

    public async Task SyncAsync(string conversationId, CancellationToken cancellationToken)
    {
        var conversation = await intercom.GetFromJsonAsync<JsonObject>(new Uri($"conversations/{conversationId}", UriKind.Relative), cancellationToken)
            ?? throw new InvalidOperationException($"Conversation {conversationId} not found.");
        var source = conversation["source"]!.AsObject();
        var thread = new List<(JsonObject Author, string Body, bool Public)> { (source["author"]!.AsObject(), source["body"]!.GetValue<string>(), true) };
        foreach (var part in conversation["conversation_parts"]?["conversation_parts"]?.AsArray() ?? [])
        {
            var type = part!["part_type"]!.GetValue<string>();
            if (type is "comment" or "note" && part["body"]?.GetValue<string>() is { Length: > 0 } body)
            {
                thread.Add((part["author"]!.AsObject(), body, type == "comment"));
            }
        }

        // "Find or create user" step, once per distinct author of this conversation.
        var users = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var author in thread.Select(t => t.Author))
        {
            var email = author["email"]!.GetValue<string>();
            if (!users.ContainsKey(email))
            {
                users[email] = await FindOrCreateUserAsync(email, author["name"]?.GetValue<string>() ?? email, author["type"]!.GetValue<string>() == "admin", cancellationToken);
            }
        }

        var requester = users[thread[0].Author["email"]!.GetValue<string>()];
        var created = await SendAsync(HttpMethod.Post, "api/v2/tickets", new
        {
            ticket = new
            {
                subject = TicketSubject(conversation),
                requester_id = requester,
                external_id = ExternalIdPrefix + conversationId,
                comment = new { html_body = thread[0].Body, @public = true, author_id = requester },
            },
        }, cancellationToken);
        var ticketId = created["ticket"]!["id"]!.GetValue<long>();

        foreach (var (author, body, isPublic) in thread.Skip(1))
        {
            await SendAsync(HttpMethod.Put, $"api/v2/tickets/{ticketId}", new
            {
                ticket = new { comment = new { html_body = body, @public = isPublic, author_id = users[author["email"]!.GetValue<string>()] } },
            }, cancellationToken);
        }
    }

    private async Task<long> FindOrCreateUserAsync(string email, string name, bool agent, CancellationToken cancellationToken)
    {
        var found = await zendesk.GetFromJsonAsync<JsonObject>(new Uri($"api/v2/users/search?query={Uri.EscapeDataString($"email:{email}")}", UriKind.Relative), cancellationToken);
        if (found!["users"]!.AsArray() is [var first, ..])
        {
            return first!["id"]!.GetValue<long>();
        }

        var created = await SendAsync(HttpMethod.Post, "api/v2/users", new { user = new { name, email, role = agent ? "agent" : "end-user" } }, cancellationToken);
        return created["user"]!["id"]!.GetValue<long>();
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        using var response = await zendesk.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
    }

    private static string TicketSubject(JsonObject conversation) =>
        conversation["title"]?.GetValue<string>() is { Length: > 0 } title ? title : "Intercom conversation " + conversation["id"]!.GetValue<string>();
}
