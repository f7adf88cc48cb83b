using System.Globalization;
using System.Net.Http.Json;
using Ferry.TicketService.Vendors;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Dual;

public sealed record ZendeskUserEnvelope(ZendeskUser User);

public sealed record ZendeskGroup(long Id, string Name, bool Deleted);

public sealed record ZendeskGroupPage(IReadOnlyList<ZendeskGroup> Groups, string? NextPage);

/// <summary>The Zendesk reads and writes beyond tickets: the API user, comment authors, groups by name, a ticket's followed fields (and status).</summary>
public sealed class ZendeskAccountClient(HttpClient http, IOptions<DualOptions> dual)
{
    private const string Vendor = "Zendesk";

    /// <summary>The user the API credentials belong to (GET /api/v2/users/me).</summary>
    public async Task<ZendeskUser> GetCurrentUserAsync(CancellationToken cancellationToken) =>
        (await http.GetOrNullAsync<ZendeskUserEnvelope>("api/v2/users/me", Vendor, "get the API user", cancellationToken))?.User
            ?? throw new InvalidOperationException("Zendesk answered 404 for api/v2/users/me.");

    public async Task<ZendeskUser?> GetUserAsync(long userId, CancellationToken cancellationToken) =>
        (await http.GetOrNullAsync<ZendeskUserEnvelope>(string.Create(CultureInfo.InvariantCulture, $"api/v2/users/{userId}"), Vendor, "get user", cancellationToken))?.User;

    /// <summary>Every group, page by page (numbered here, so the credentials never follow a host the answer names).</summary>
    public async Task<IReadOnlyList<ZendeskGroup>> ListGroupsAsync(CancellationToken cancellationToken)
    {
        var groups = new List<ZendeskGroup>();
        for (var page = 1; ; page++)
        {
            using var response = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"api/v2/groups?per_page=100&page={page}"), UriKind.Relative), cancellationToken);
            await response.EnsureSuccessAsync(Vendor, "list groups", cancellationToken);
            var answer = (await response.Content.ReadFromJsonAsync<ZendeskGroupPage>(VendorResponses.Json, cancellationToken))!;
            groups.AddRange(answer.Groups);
            if (answer.NextPage is null || answer.Groups.Count == 0)
            {
                return groups;
            }
        }
    }

    /// <summary>
    /// PUT /api/v2/tickets/{id} with only the given fields (a null value clears the field, e.g. unassigns), and
    /// Dual:Tag among the additional_tags: every update Ferry makes carries it.
    /// </summary>
    public async Task<ZendeskTicket> UpdateFieldsAsync(long ticketId, IReadOnlyDictionary<string, object?> fields, CancellationToken cancellationToken)
    {
        var ticket = new Dictionary<string, object?>(fields, StringComparer.Ordinal)
        {
            ["additional_tags"] = (fields.GetValueOrDefault("additional_tags") as IEnumerable<string> ?? []).Append(dual.Value.Tag).Distinct(StringComparer.Ordinal).ToList(),
        };
        using var response = await http.PutAsJsonAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"api/v2/tickets/{ticketId}"), UriKind.Relative),
            new { ticket }, VendorResponses.Json, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "update ticket fields", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ZendeskTicketEnvelope>(VendorResponses.Json, cancellationToken))!.Ticket;
    }
}
