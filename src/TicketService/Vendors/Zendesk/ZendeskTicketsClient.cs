using System.Runtime.CompilerServices;
using System.Net;
using System.Net.Http.Json;
using Ferry.TicketService.Dual;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Vendors.Zendesk;

/// <summary>The Zendesk ticket endpoints TicketService uses; every update carries Dual:Tag (docs/DUAL.md, notification hygiene).</summary>
public sealed partial class ZendeskTicketsClient(HttpClient http, IOptions<DualOptions> dual)
{
    private const string Vendor = "Zendesk";

    public async Task<IReadOnlyList<ZendeskTicket>> FindByExternalIdAsync(string externalId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri($"api/v2/tickets?external_id={Uri.EscapeDataString(externalId)}", UriKind.Relative), cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "find tickets by external_id", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ZendeskTicketList>(VendorResponses.Json, cancellationToken))!.Tickets;
    }

    public async Task<ZendeskTicket?> GetAsync(long ticketId, CancellationToken cancellationToken) =>
        (await http.GetOrNullAsync<ZendeskTicketEnvelope>($"api/v2/tickets/{ticketId}", Vendor, "get ticket", cancellationToken))?.Ticket;

    /// <summary>Ticket import keeps each comment's author and created_at. The key makes a replayed import return the first ticket.</summary>
    public Task<ZendeskTicket> ImportAsync(TicketImport ticket, string idempotencyKey, CancellationToken cancellationToken) =>
        CreateAsync("api/v2/imports/tickets", new { ticket }, idempotencyKey, "import ticket", cancellationToken);

    public Task<ZendeskTicket> CreateFollowUpAsync(FollowUpTicket ticket, string idempotencyKey, CancellationToken cancellationToken) =>
        CreateAsync("api/v2/tickets", new { ticket }, idempotencyKey, "create follow-up ticket", cancellationToken);

    private async Task<ZendeskTicket> CreateAsync(string path, object body, string idempotencyKey, string operation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = JsonContent.Create(body, options: VendorResponses.Json),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await http.SendAsync(request, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, operation, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ZendeskTicketEnvelope>(VendorResponses.Json, cancellationToken))!.Ticket;
    }

    /// <summary>Adds at most one comment and/or changes fields. A closed ticket answers 422 (<see cref="VendorException"/>).</summary>
    public async Task<ZendeskTicketUpdated> UpdateAsync(long ticketId, TicketUpdate ticket, CancellationToken cancellationToken)
    {
        // In the same update as the comment, so the requester notification trigger already sees the tag.
        ticket = ticket with { AdditionalTags = [dual.Value.Tag] };
        using var response = await http.PutAsJsonAsync(new Uri($"api/v2/tickets/{ticketId}", UriKind.Relative), new { ticket }, VendorResponses.Json, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "update ticket", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ZendeskTicketUpdated>(VendorResponses.Json, cancellationToken))!;
    }

    /// <summary>
    /// Adds one comment. Returns null when the ticket is closed (final in Zendesk): a 422 that reading the
    /// ticket confirms; any other 422 is thrown.
    /// </summary>
    public async Task<ZendeskTicketUpdated?> AppendUnlessClosedAsync(long ticketId, NewComment comment, CancellationToken cancellationToken)
    {
        try
        {
            return await UpdateAsync(ticketId, new TicketUpdate(comment), cancellationToken);
        }
        catch (VendorException error) when (error.Status == HttpStatusCode.UnprocessableEntity)
        {
            if ((await GetAsync(ticketId, cancellationToken))?.Status != "closed")
            {
                throw;
            }

            return null;
        }
    }

    /// <summary>
    /// The ticket's comments page by page (100 each), from the oldest or from the newest; each page is
    /// returned oldest first. Used to recognise what an interrupted attempt already added. Pages are
    /// numbered here, not followed from the answer's next_page, so the credentials never go to a host
    /// the answer names.
    /// </summary>
    /// <param name="withAuthors">Side-load the comments' authors (<see cref="ZendeskComment.Author"/>) in the same request.</param>
    public async IAsyncEnumerable<IReadOnlyList<ZendeskComment>> CommentPagesAsync(long ticketId, bool newest, [EnumeratorCancellation] CancellationToken cancellationToken, bool withAuthors = false)
    {
        for (var page = 1; ; page++)
        {
            using var response = await http.GetAsync(new Uri($"api/v2/tickets/{ticketId}/comments?sort_order={(newest ? "desc" : "asc")}&per_page=100&page={page}{(withAuthors ? "&include=users" : "")}", UriKind.Relative), cancellationToken);
            await response.EnsureSuccessAsync(Vendor, "list comments", cancellationToken);
            var comments = (await response.Content.ReadFromJsonAsync<ZendeskCommentList>(VendorResponses.Json, cancellationToken))!;
            var authors = (comments.Users ?? []).ToDictionary(u => u.Id);
            yield return [.. comments.Comments.OrderBy(c => c.Id).Select(c => c.AuthorId is { } id && authors.TryGetValue(id, out var author) ? c with { Author = author } : c)];
            if (comments.NextPage is null || comments.Comments.Count == 0)
            {
                yield break;
            }
        }
    }
}
