using System.Net.Http.Json;

namespace Ferry.TicketService.Vendors.Zendesk;

/// <summary>One item of a finished bulk job: the record it made (Id) or why it failed.</summary>
public sealed record ZendeskJobResult(int? Index, long? Id, bool? Success, string? Status, string? Error, string? Details);

public sealed record ZendeskJobStatus(string Id, string Status, int? Total, int? Progress, IReadOnlyList<ZendeskJobResult>? Results)
{
    public bool Finished => Status is "completed" or "failed" or "killed";
}

public sealed record ZendeskJobStatusEnvelope(ZendeskJobStatus JobStatus);

/// <summary>The bulk ticket import a backfill uses: ≤ 100 tickets per call, a job_status polled to its end.</summary>
public sealed partial class ZendeskTicketsClient
{
    public const int MaxImportsPerCall = 100;

    /// <summary>
    /// POST /api/v2/imports/tickets/create_many (imports run no triggers and notify nobody), then polls the
    /// job. <paramref name="archiveImmediately"/> archives the (closed) tickets at once.
    /// </summary>
    /// <returns>The finished job's results, by index into <paramref name="tickets"/>, and the Zendesk calls it took.</returns>
    public async Task<(IReadOnlyList<ZendeskJobResult> Results, int Calls)> ImportManyAsync(IReadOnlyList<TicketImport> tickets, bool archiveImmediately, CancellationToken cancellationToken)
    {
        var path = archiveImmediately ? "api/v2/imports/tickets/create_many?archive_immediately=true" : "api/v2/imports/tickets/create_many";
        ZendeskJobStatus job;
        var calls = 1;
        using (var response = await http.PostAsJsonAsync(new Uri(path, UriKind.Relative), new { tickets }, VendorResponses.Json, cancellationToken))
        {
            await response.EnsureSuccessAsync(Vendor, "import tickets in bulk", cancellationToken);
            job = (await response.Content.ReadFromJsonAsync<ZendeskJobStatusEnvelope>(VendorResponses.Json, cancellationToken))!.JobStatus;
        }

        // The job runs in the background: poll with a short pause doubling up to 1 s (the batch waits on it).
        for (var pause = TimeSpan.FromMilliseconds(20); !job.Finished; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.TicksPerSecond)))
        {
            await Task.Delay(pause, cancellationToken);
            calls++;
            job = (await http.GetOrNullAsync<ZendeskJobStatusEnvelope>($"api/v2/job_statuses/{Uri.EscapeDataString(job.Id)}", Vendor, "poll job status", cancellationToken))?.JobStatus
                ?? throw new HttpRequestException($"Zendesk lost job {job.Id}.");
        }

        return job.Status == "completed" ? (job.Results ?? [], calls) : throw new HttpRequestException($"Zendesk job {job.Id} ended {job.Status}.");
    }
}
