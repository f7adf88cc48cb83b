using Ferry.V1;
using Grpc.Core;

namespace Ferry.TicketService.Api;

/// <summary>GetPhaseReport: the phased-migration report (docs/MIGRATION.md).</summary>
public sealed partial class SyncApi
{
    private const int DefaultPhaseDays = 30;
    private const int MaxPhaseDays = 366;
    private const int DefaultQuietDays = 14;

    public override async Task<PhaseReport> GetPhaseReport(PhaseReportRequest request, ServerCallContext context)
    {
        if (request.Days is < 0 or > MaxPhaseDays || request.QuietDays < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"days must be 0 to {MaxPhaseDays} (0: {DefaultPhaseDays}); quiet_days must not be negative (0: {DefaultQuietDays})."));
        }

        var days = request.Days == 0 ? DefaultPhaseDays : request.Days;
        var figures = await phase.BuildAsync(days, request.QuietDays == 0 ? DefaultQuietDays : request.QuietDays, context.CancellationToken);
        var reply = new PhaseReport
        {
            QuietDays = figures.QuietDays,
            IntercomQuiet = figures.IntercomQuiet,
            QuietSince = figures.QuietSince is { } since ? Migration.PhaseReporter.Format(since) : "",
            IntercomCalls = figures.IntercomCalls,
        };
        reply.Days.AddRange(figures.Days.Select(d => new V1.PhaseDay { Date = Migration.PhaseReporter.Format(d.Date), Created = d.Created, Synced = d.Imported + d.SyncedLive, StillOpen = d.StillOpen, Imported = d.Imported, SyncedLive = d.SyncedLive }));
        return reply;
    }
}
