using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace Ferry.TicketService.Vendors.Intercom;

/// <summary>The Intercom endpoints TicketService uses (conversations, contacts, admins, parts).</summary>
public sealed partial class IntercomClient(HttpClient http)
{
    private const string Vendor = "Intercom";

    /// <summary>The conversation with its (at most 500 most recent) parts, or null when Intercom does not know it.</summary>
    public Task<IntercomConversation?> GetConversationAsync(string conversationId, CancellationToken cancellationToken) =>
        http.GetOrNullAsync<IntercomConversation>($"conversations/{Uri.EscapeDataString(conversationId)}?display_as=html", Vendor, "GET conversation", cancellationToken);

    /// <summary>
    /// The contact, or null when Intercom does not know it. A lead merged into a user answers 410 Gone with the user
    /// in its <c>Link</c> header (rel="canonical", merge chains already followed): that user is returned, so its
    /// <see cref="IntercomContact.Id"/> is then not <paramref name="contactId"/>.
    /// </summary>
    public async Task<IntercomContact?> GetContactAsync(string contactId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri($"contacts/{Uri.EscapeDataString(contactId)}", UriKind.Relative), cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound:
                return null;
            case HttpStatusCode.Gone when CanonicalContactId(response) is { } canonical && canonical != contactId:
                return await http.GetOrNullAsync<IntercomContact>($"contacts/{Uri.EscapeDataString(canonical)}", Vendor, "GET merged contact's canonical contact", cancellationToken);
            case HttpStatusCode.Gone:
                return null;
        }

        await response.EnsureSuccessAsync(Vendor, "GET contact", cancellationToken);
        return await response.Content.ReadFromJsonAsync<IntercomContact>(VendorResponses.Json, cancellationToken);
    }

    /// <summary>The contact id of a <c>Link: &lt;/contacts/{id}&gt;; rel="canonical"</c> header, if the answer has one.</summary>
    private static string? CanonicalContactId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var links)
            ? links.Select(link => CanonicalContactLink().Match(link)).FirstOrDefault(m => m.Success)?.Groups["id"].Value
            : null;

    [GeneratedRegex("""<(?:[^>]*/)?contacts/(?<id>[^/>?]+)>\s*;\s*rel="?canonical"?""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CanonicalContactLink();

    public Task<IntercomAdmin?> GetAdminAsync(string adminId, CancellationToken cancellationToken) =>
        http.GetOrNullAsync<IntercomAdmin>($"admins/{Uri.EscapeDataString(adminId)}", Vendor, "GET admin", cancellationToken);

    public async Task<IReadOnlyList<IntercomAdmin>> ListAdminsAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri("admins", UriKind.Relative), cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "list admins", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<IntercomAdminList>(VendorResponses.Json, cancellationToken))?.Admins ?? [];
    }

    public async Task<IReadOnlyList<IntercomTeam>> ListTeamsAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri("teams", UriKind.Relative), cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "list teams", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<IntercomTeamList>(VendorResponses.Json, cancellationToken))?.Teams ?? [];
    }

    /// <summary>Closes the conversation as <paramref name="adminId"/>; <paramref name="note"/> becomes the close part's body (teammates only).</summary>
    public Task<IntercomConversation> CloseAsync(string conversationId, string adminId, string? note, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string> { ["message_type"] = "close", ["type"] = "admin", ["admin_id"] = adminId };
        if (!string.IsNullOrWhiteSpace(note))
        {
            body["body"] = note;
        }

        return ManageAsync(conversationId, body, "close conversation", cancellationToken);
    }

    public Task<IntercomConversation> ReopenAsync(string conversationId, string adminId, CancellationToken cancellationToken) =>
        ManageAsync(conversationId, new Dictionary<string, string> { ["message_type"] = "open", ["admin_id"] = adminId }, "reopen conversation", cancellationToken);

    /// <summary>An admin reply or note; Intercom answers with the conversation, whose newest part is the one written.</summary>
    public async Task<IntercomConversation> ReplyAsync(string conversationId, IntercomReply reply, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri($"conversations/{Uri.EscapeDataString(conversationId)}/reply", UriKind.Relative), reply, VendorResponses.Json, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "reply to conversation", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<IntercomConversation>(VendorResponses.Json, cancellationToken))!;
    }

    /// <summary>POST /conversations/{id}/parts with a state change; Intercom answers with the conversation.</summary>
    private async Task<IntercomConversation> ManageAsync(string conversationId, Dictionary<string, string> body, string operation, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri($"conversations/{Uri.EscapeDataString(conversationId)}/parts", UriKind.Relative), body, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, operation, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<IntercomConversation>(VendorResponses.Json, cancellationToken))!;
    }

    /// <summary>One page of conversations updated in [since, before), oldest cursor first.</summary>
    public async Task<IntercomSearchPage> SearchUpdatedAsync(DateTimeOffset? since, DateTimeOffset? before, string? startingAfter, int perPage, CancellationToken cancellationToken)
    {
        var filters = new List<object>();
        if (since is { } s)
        {
            filters.Add(new { field = "updated_at", @operator = ">", value = s.ToUnixTimeSeconds() - 1 });
        }

        if (before is { } b)
        {
            filters.Add(new { field = "updated_at", @operator = "<", value = b.ToUnixTimeSeconds() });
        }

        if (filters.Count == 0)
        {
            filters.Add(new { field = "updated_at", @operator = ">", value = 0 });
        }

        object query = filters.Count == 1 ? filters[0] : new { @operator = "AND", value = filters };
        return await SearchAsync(query, startingAfter, perPage, "search conversations", cancellationToken);
    }
}
