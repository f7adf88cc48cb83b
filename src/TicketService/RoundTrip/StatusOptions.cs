using System.ComponentModel.DataAnnotations;

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

    /// <summary>Alternative to <see cref="IntercomAdminId"/>: the admin's email, looked up in the admin directory (GET /admins).</summary>
    public string? IntercomAdminEmail { get; set; }

    /// <summary>How long the Intercom admin directory (Ferry's admin, Zendesk agents' admins in dual mode) is reused before it is read again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IntercomAdminsRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Optional note on the close (visible to teammates only), e.g. "Solved in Zendesk".</summary>
    public string? ClosingNote { get; set; }
}
