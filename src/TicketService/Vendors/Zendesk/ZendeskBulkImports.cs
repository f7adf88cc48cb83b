using System.Net.Http.Json;

namespace Ferry.TicketService.Vendors.Zendesk;

/// <summary>One item of a finished bulk job: the record it made (Id) or why it failed.</summary>
public sealed record ZendeskJobResult(int? Index, long? Id, bool? Success, string? Status, string? Error, string? Details);

public sealed record ZendeskJobStatus(string Id, string Status, int? Total, int? Progress, IReadOnlyList<ZendeskJobResult>? Results)
{
    public bool Finished => Status is "completed" or "failed" or "killed";

    /// <summary>The records a completed job made, by index into its request.</summary>
    public IEnumerable<(int Index, long Id)> Made() =>
        Status == "completed"
            ? (Results ?? []).Where(r => r is { Success: not false, Index: not null, Id: > 0 }).Select(r => (r.Index!.Value, r.Id!.Value))
            : [];
}

public sealed record ZendeskJobStatusEnvelope(ZendeskJobStatus JobStatus);

/// <summary>The bulk ticket import a backfill uses: ≤ 100 tickets per call, a job_status polled to its end.</summary>
public sealed partial class ZendeskTicketsClient
{
    public const int MaxImportsPerCall = 100;

    /// <summary>
    /// POST /api/v2/imports/tickets/create_many (imports run no triggers and notify nobody): Zendesk queues a
    /// job and answers its id. <paramref name="archiveImmediately"/> archives the (closed) tickets at once.
    /// </summary>
    public async Task<string> SubmitImportManyAsync(IReadOnlyList<TicketImport> tickets, bool archiveImmediately, CancellationToken cancellationToken)
    {
        var path = archiveImmediately ? "api/v2/imports/tickets/create_many?archive_immediately=true" : "api/v2/imports/tickets/create_many";
        using var response = await http.PostAsJsonAsync(new Uri(path, UriKind.Relative), new { tickets }, VendorResponses.Json, cancellationToken);
        await response.EnsureSuccessAsync(Vendor, "import tickets in bulk", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ZendeskJobStatusEnvelope>(VendorResponses.Json, cancellationToken))!.JobStatus.Id;
    }

    /// <summary>GET /api/v2/job_statuses/{id}: the job as Zendesk has it now, null when Zendesk no longer knows it.</summary>
    public async Task<ZendeskJobStatus?> JobStatusAsync(string jobId, CancellationToken cancellationToken) =>
        (await http.GetOrNullAsync<ZendeskJobStatusEnvelope>($"api/v2/job_statuses/{Uri.EscapeDataString(jobId)}", Vendor, "poll job status", cancellationToken))?.JobStatus;

    /// <summary>Polls job <paramref name="jobId"/> until it ends, with a short pause doubling up to 1 s.</summary>
    /// <returns>The ended job (null: Zendesk no longer knows it) and the polls it took.</returns>
    public async Task<(ZendeskJobStatus? Job, int Calls)> WaitForJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var calls = 0;
        for (var pause = TimeSpan.FromMilliseconds(20); ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.TicksPerSecond)))
        {
            await Task.Delay(pause, cancellationToken);
            calls++;
            var job = await JobStatusAsync(jobId, cancellationToken);
            if (job is null || job.Finished)
            {
                return (job, calls);
            }
        }
    }
}
