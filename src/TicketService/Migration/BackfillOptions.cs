using System.ComponentModel.DataAnnotations;

namespace Ferry.TicketService.Migration;

/// <summary>Section "Backfill": how a bulk backfill paces itself and holds conversations.</summary>
public sealed class BackfillOptions
{
    public const string Section = "Backfill";

    /// <summary>The share of RateLimits:ZendeskPerMinute a bulk run may spend, so live sync keeps the rest.</summary>
    [Range(0.01, 1.0)]
    public double BudgetShare { get; set; } = 0.8;

    /// <summary>
    /// How long a batch holds its conversations from live sync. A run that dies hands them to live sync
    /// when it passes (live sync adopts an imported ticket by external_id); far longer than a batch takes.
    /// </summary>
    public TimeSpan HoldLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a resumed run waits for the create_many jobs its crashed process left unfinished before it
    /// gives up (resumable later); it holds their conversations meanwhile, as Zendesk may still make their tickets.
    /// Live sync treats a create_many whose answer never came (no job id to ask about) as ended this long after it was sent.
    /// </summary>
    public TimeSpan JobWait { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Conversations (and contacts) read from Intercom at once.</summary>
    [Range(1, 64)]
    public int IntercomConcurrency { get; set; } = 16;
}
