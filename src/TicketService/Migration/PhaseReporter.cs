using System.Globalization;

namespace Ferry.TicketService.Migration;

/// <summary>One UTC day of the phased-migration report: conversations created, those with their ticket (imported in bulk, or synced live), those still open.</summary>
public sealed record PhaseDayFigures(DateOnly Date, int Created, int Imported, int SyncedLive, int StillOpen);

/// <param name="QuietDays">Days in a row, up to today, without a new conversation.</param>
public sealed record PhaseFigures(IReadOnlyList<PhaseDayFigures> Days, int QuietDays, bool IntercomQuiet, DateOnly? QuietSince, int IntercomCalls);

/// <summary>
/// The phased-migration report (docs/MIGRATION.md): Intercom's conversations created over the last days, per
/// day, with how many have their Zendesk ticket (imported in bulk, or synced live) and how many are still open; and whether new conversations have
/// stopped arriving for long enough to retire Intercom. Reads Intercom's search (150 a page) and the ledger.
/// </summary>
public sealed class PhaseReporter(IntercomClient intercom, BackfillStore store, TimeProvider time)
{
    private const int PageSize = 150;

    public async Task<PhaseFigures> BuildAsync(int days, int quietThreshold, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = today.AddDays(1 - days);
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var created = new List<IntercomConversation>();
        var calls = 0;
        string? cursor = null;
        do
        {
            var page = await intercom.SearchCreatedAsync(since, cursor, PageSize, cancellationToken);
            calls++;
            created.AddRange(page.Conversations ?? []);
            cursor = page.Pages?.Next?.StartingAfter;
        }
        while (!string.IsNullOrEmpty(cursor));

        var imported = await store.ImportedAsync([.. created.Select(c => c.Id)], cancellationToken);
        var byDay = created.DistinctBy(c => c.Id).ToLookup(c => DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(c.CreatedAt).UtcDateTime));
        var report = Enumerable.Range(0, days).Select(i => first.AddDays(i)).Select(day => new PhaseDayFigures(
            day,
            byDay[day].Count(),
            byDay[day].Count(c => imported.TryGetValue(c.Id, out var bulk) && bulk),
            byDay[day].Count(c => imported.TryGetValue(c.Id, out var bulk) && !bulk),
            byDay[day].Count(c => c.State is not "closed"))).ToList();
        var quiet = report.AsEnumerable().Reverse().TakeWhile(d => d.Created == 0).Count();
        return new PhaseFigures(report, quiet, quiet >= quietThreshold, quiet == 0 ? null : today.AddDays(1 - quiet), calls);
    }

    public static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
