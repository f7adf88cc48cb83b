using System.Net;
using System.Net.Http.Json;

namespace Ferry.IdentityService.Vendors.Zendesk;

/// <summary>One item of a finished bulk job: the user it made (Id) or why it failed.</summary>
public sealed record ZendeskJobResult(int? Index, long? Id, bool? Success, string? Status, string? Error, string? Details);

public sealed record ZendeskJobStatus(string Id, string Status, IReadOnlyList<ZendeskJobResult>? Results)
{
    public bool Finished => Status is "completed" or "failed" or "killed";
}

internal sealed record JobStatusEnvelope(ZendeskJobStatus? JobStatus);

internal sealed record UsersRequest(IReadOnlyList<ZendeskUserInput> Users);

/// <summary>The bulk users endpoints a backfill batches its lookups and creations through (≤ 100 per call).</summary>
public sealed partial class ZendeskUsersClient
{
    public const int MaxPerBulkCall = 100;

    /// <summary>GET /api/v2/users/show_many?external_ids=…: the active users holding any of the external ids.</summary>
    public async Task<IReadOnlyList<ZendeskUser>> ShowManyByExternalIdAsync(IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        var page = await GetAsync<UsersPage>($"api/v2/users/show_many?external_ids={string.Join(',', externalIds.Select(Uri.EscapeDataString))}", ct);
        return [.. (page?.Users ?? []).Where(u => u.Active)];
    }

    /// <summary>POST /api/v2/users/create_many, then polls its job_status until it finishes; results come back by index.</summary>
    public async Task<IReadOnlyList<ZendeskJobResult>> CreateManyAsync(IReadOnlyList<ZendeskUserInput> users, CancellationToken ct)
    {
        ZendeskJobStatus job;
        using (var response = await PostAsync("api/v2/users/create_many", new UsersRequest(users), ct))
        {
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
            {
                throw Failure(response, "create_many");
            }

            job = (await response.Content.ReadFromJsonAsync<JobStatusEnvelope>(ZendeskJson.Options, ct))?.JobStatus
                ?? throw new ZendeskException("create_many answered without a job_status.", transient: true);
        }

        // Zendesk runs the job in the background: poll with a short pause doubling up to 1 s (a batch waits on it).
        for (var pause = TimeSpan.FromMilliseconds(20); !job.Finished; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.TicksPerSecond)))
        {
            await Task.Delay(pause, time, ct);
            job = (await GetAsync<JobStatusEnvelope>($"api/v2/job_statuses/{Uri.EscapeDataString(job.Id)}", ct))?.JobStatus
                ?? throw new ZendeskException($"Zendesk lost job {job.Id}.", transient: true);
        }

        return job.Status == "completed"
            ? job.Results ?? []
            : throw new ZendeskException($"Zendesk job {job.Id} ended {job.Status}.", transient: true);
    }
}
