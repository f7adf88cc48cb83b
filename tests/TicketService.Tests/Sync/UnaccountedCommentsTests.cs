using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ferry.Testing;
using Ferry.TicketService.Data;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Vendors.Zendesk;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>
/// Which comments of a ticket the next attempt must consider an interrupted attempt's, against the sandbox's
/// Zendesk: a long ticket spans several pages of comments, and none of them may be overlooked.
/// </summary>
public sealed class UnaccountedCommentsTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private SandboxServer _sandbox = null!;
    private HttpClient _http = null!;
    private UnaccountedComments _unaccounted = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _sandbox = await SandboxServer.CreateAsync();
        _http = _sandbox.CreateZendeskClient();
        _unaccounted = new UnaccountedComments(new ZendeskTicketsClient(_http, Microsoft.Extensions.Options.Options.Create(new Ferry.TicketService.Dual.DualOptions())), new SyncStore(_db.DataSource));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _sandbox.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task A_ticket_Ferry_adopts_knowing_nothing_of_it_is_read_whole_not_just_its_newest_page()
    {
        // An import of 250 parts whose answer was lost: no link, no ledger.
        var ticketId = await ImportAsync(250);

        var comments = await _unaccounted.ListAsync("c-adopted", ticketId, Ct);

        Assert.Equal(250, comments.Count);
        Assert.Equal("Part 1", comments[0].Body);
        Assert.Equal("Part 250", comments[^1].Body);
    }

    [Fact]
    public async Task Before_the_first_append_only_comments_after_those_the_import_made_count_however_long_the_ticket()
    {
        var ticketId = await ImportAsync(150);
        await LinkAsync("c-imported", ticketId, importedComments: 150, lastCommentId: null);
        var appended = await AppendAsync(ticketId, "Thanks");

        var comments = await _unaccounted.ListAsync("c-imported", ticketId, Ct);

        Assert.Equal([appended], comments.Select(c => c.Id));
    }

    [Fact]
    public async Task After_an_append_only_comments_newer_than_the_newest_the_ledger_knows_count()
    {
        var ticketId = await ImportAsync(120);
        var recorded = await AppendAsync(ticketId, "Recorded");
        await LinkAsync("c-appended", ticketId, importedComments: 120, lastCommentId: recorded);
        var lost = await AppendAsync(ticketId, "Answer lost");

        var comments = await _unaccounted.ListAsync("c-appended", ticketId, Ct);

        Assert.Equal([lost], comments.Select(c => c.Id));
    }

    private async Task<long> ImportAsync(int comments)
    {
        var requester = _sandbox.Zendesk.AddUser("Req", $"{Guid.NewGuid():N}@customer.example");
        var created = await SendAsync(HttpMethod.Post, "api/v2/imports/tickets", new
        {
            ticket = new
            {
                requester_id = requester.Id,
                subject = "Long",
                comments = Enumerable.Range(1, comments).Select(i => new { author_id = requester.Id, value = $"Part {i}" }).ToArray(),
            },
        });
        return created["ticket"]!["id"]!.GetValue<long>();
    }

    private async Task<long> AppendAsync(long ticketId, string body)
    {
        var updated = await SendAsync(HttpMethod.Put, $"api/v2/tickets/{ticketId}", new { ticket = new { comment = new { body } } });
        return updated["audit"]!["events"]![0]!["id"]!.GetValue<long>();
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, object body)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>(Ct))!;
    }

    private async Task LinkAsync(string conversationId, long ticketId, int importedComments, long? lastCommentId)
    {
        await _db.ScalarAsync($"INSERT INTO sync.tickets (conversation_id, ticket_id, imported_comments) VALUES ('{conversationId}', {ticketId}, {importedComments}) RETURNING 1");
        if (lastCommentId is { } id)
        {
            await _db.ScalarAsync($"INSERT INTO sync.synced_parts (conversation_id, part_id, ticket_id, kind, zendesk_comment_id) VALUES ('{conversationId}', 'p1', {ticketId}, 'comment', {id}) RETURNING 1");
        }
    }
}
