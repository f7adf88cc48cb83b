using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Ferry.Reconcile.Benchmarks;

/// <summary>
/// The baseline: how a polling connector (no webhooks, no search by updated_at) finds the same drift. Every
/// poll it lists conversations newest-updated first until it passes the last poll, then reads each one that
/// changed (its parts and state) and its ticket (a status changed in Zendesk). Plain HttpClients, the same
/// sandbox as Ferry; the sandbox counts the calls.
/// </summary>
internal sealed class PollingConnector(HttpClient intercom, HttpClient zendesk)
{
    private const int PageSize = 150;

    /// <summary>One poll covering conversations updated at or after <paramref name="since"/>; returns how many it read.</summary>
    public async Task<int> PollAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var changed = new List<string>();
        await foreach (var conversation in ListAsync(cancellationToken))
        {
            if (conversation["updated_at"]!.GetValue<long>() < since.ToUnixTimeSeconds())
            {
                break;
            }

            changed.Add(conversation["id"]!.GetValue<string>());
        }

        foreach (var id in changed)
        {
            await intercom.GetFromJsonAsync<JsonObject>(new Uri($"conversations/{id}", UriKind.Relative), cancellationToken);
            await zendesk.GetFromJsonAsync<JsonObject>(new Uri($"api/v2/tickets?external_id=intercom-conversation-{id}", UriKind.Relative), cancellationToken);
        }

        return changed.Count;
    }

    /// <summary>The "full poll": lists every conversation (and would then compare each with its own records).</summary>
    public async Task<int> ListEverythingAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var _ in ListAsync(cancellationToken))
        {
            count++;
        }

        return count;
    }

    /// <summary>GET /conversations pages, newest updated_at first, fetched as the caller reads on.</summary>
    private async IAsyncEnumerable<JsonObject> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await intercom.GetFromJsonAsync<JsonObject>(
                new Uri($"conversations?per_page={PageSize}{(cursor is null ? "" : "&starting_after=" + Uri.EscapeDataString(cursor))}", UriKind.Relative), cancellationToken);
            foreach (var conversation in page!["conversations"]!.AsArray())
            {
                yield return conversation!.AsObject();
            }

            cursor = page["pages"]?["next"]?["starting_after"]?.GetValue<string>();
        }
        while (cursor is not null);
    }
}
