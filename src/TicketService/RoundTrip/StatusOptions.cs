namespace Ferry.TicketService.RoundTrip;

/// <summary>Section "Status": how Zendesk status changes come back to Intercom (docs/SYNC.md, "Status round-trip").</summary>
public sealed class StatusOptions
{
    public const string Section = "Status";

    /// <summary>
    /// Whether a solved ticket that is reopened in Zendesk reopens the closed Intercom conversation.
    /// Off by default: an internal reopen (an agent adding a note, a QA pass) should not put a
    /// conversation back in front of the customer's inbox; the customer's own reply reopens both anyway.
    /// </summary>
    public bool ReopenIntercomOnZendeskReopen { get; set; }

    /// <summary>The Intercom admin Ferry acts as when it closes or reopens a conversation.</summary>
    public string? IntercomAdminId { get; set; }

    /// <summary>Alternative to <see cref="IntercomAdminId"/>: the admin's email, looked up once via GET /admins.</summary>
    public string? IntercomAdminEmail { get; set; }

    /// <summary>Optional note on the close (visible to teammates only), e.g. "Solved in Zendesk".</summary>
    public string? ClosingNote { get; set; }
}
