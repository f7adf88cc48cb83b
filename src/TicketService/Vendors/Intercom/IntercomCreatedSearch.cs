using System.Net.Http.Json;

namespace Ferry.TicketService.Vendors.Intercom;

/// <summary>Conversation search pages: by update (backfill, reconciler) and by creation (the phased-migration report).</summary>
public sealed partial class IntercomClient
{
    /// <summary>One page of conversations created at or after <paramref name="since"/>.</summary>
    public Task<IntercomSearchPage> SearchCreatedAsync(DateTimeOffset since, string? startingAfter, int perPage, CancellationToken cancellationToken) =>
        SearchAsync(new { field = "created_at", @operator = ">", value = since.ToUnixTimeSeconds() - 1 }, startingAfter, perPage, "search conversations by creation", cancellationToken);

    private async Task<IntercomSearchPage> SearchAsync(object query, string? startingAfter, int perPage, string operation, CancellationToken cancellationToken)
    {
        var pagination = startingAfter is null
            ? (object)new { per_page = perPage }
            : new { per_page = perPage, starting_after = startingAfter };
        using var response = await http.PostAsJsonAsync(new Uri("conversations/search", UriKind.Relative), new { query, pagination }, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, operation, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<IntercomSearchPage>(VendorResponses.Json, cancellationToken))!;
    }
}
