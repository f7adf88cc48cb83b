namespace Ferry.TicketService.Sync;

/// <summary>Section "Sync": how conversations map onto tickets.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>Zendesk status for a snoozed conversation ("pending" or "hold").</summary>
    public string SnoozedStatus { get; set; } = "pending";
}
