using Ferry.ServiceDefaults.Vendors;
using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Operations;

/// <summary>Everything the operator's status page shows, read at once.</summary>
public sealed record OperatorStatusReport(
    StatusFigures Figures,
    HealthSample Health,
    IReadOnlyList<AttemptRecord> LatestFailures,
    IReadOnlyList<DeadJob> DeadJobs,
    IReadOnlyList<DeadJob> RecentlyDismissed,
    IReadOnlyList<AttemptRecord> LatestFindings,
    IReadOnlyList<VendorHealthSnapshot> Vendors);

/// <summary>Gathers GetStatus: the database's figures and lists, and what every service saw of the vendors (through Redis).</summary>
public sealed class OperatorStatus(
    StatusReport report, HealthReadings health, JobStore queue, AttemptLog attempts, VendorHealth vendors, IOptions<IntercomOptions> intercom, IOptions<ZendeskOptions> zendesk)
{
    public const int ListLength = 20;

    /// <summary>Enough for a shift's dismissals to be seen by the next operator; the CLI lists them all.</summary>
    public const int DismissedListLength = 10;

    public async Task<OperatorStatusReport> ReadAsync(CancellationToken cancellationToken)
    {
        var figures = await report.ReadAsync(cancellationToken);
        var sample = await health.ReadAsync(cancellationToken);
        var failures = await attempts.LatestAsync(AttemptOutcome.Failure, ListLength, cancellationToken);
        var findings = await attempts.LatestAsync(AttemptOutcome.Finding, ListLength, cancellationToken);
        var dead = await queue.ListDeadAsync(ListLength, cancellationToken);
        var dismissed = await queue.ListDeadAsync(DismissedListLength, cancellationToken, dismissed: true);
        VendorHealthSnapshot[] vendorHealth =
        [
            await vendors.ReadAsync(VendorNames.Intercom, intercom.Value.BaseUrl, cancellationToken),
            await vendors.ReadAsync(VendorNames.Zendesk, zendesk.Value.BaseUrl, cancellationToken),
        ];
        return new OperatorStatusReport(figures, sample, failures, dead, dismissed, findings, vendorHealth);
    }
}
