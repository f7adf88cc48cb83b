namespace Ferry.TicketService.RoundTrip;

/// <summary>A side's status as observed now, with the time it took effect there (when known).</summary>
public sealed record SideStatus(string Status, DateTimeOffset? ChangedAt);

/// <summary>The pair Ferry last saw in step (null before the first status sync of a ticket).</summary>
public sealed record KnownStatus(string? IntercomState, string? ZendeskStatus);

public enum StatusAction
{
    None,
    UpdateZendesk,
    CloseIntercom,
    ReopenIntercom,
}

public static class StatusOrigin
{
    public const string Intercom = "intercom";
    public const string Zendesk = "zendesk";

    /// <summary>The change came back from the side Ferry wrote it to: an echo.</summary>
    public const string Ferry = "ferry";
}

/// <param name="Target">Zendesk status to set, or Intercom state to reach.</param>
/// <param name="Origin">The side whose change this decision follows.</param>
public sealed record StatusDecision(StatusAction Action, string? Target, string Origin, string Reason)
{
    public static StatusDecision Nothing(string origin, string reason) => new(StatusAction.None, null, origin, reason);
}

/// <summary>
/// Pure rules of the status round-trip. A side has changed when its status differs from the pair
/// Ferry last saw in step; when both changed, the later change (each side's own timestamp, never the
/// order webhooks arrived in) wins. A change Ferry applied is part of the known pair before its echo
/// can arrive, so the echo is "no change": loops end after one hop.
/// </summary>
public static class StatusPolicy
{
    /// <summary>open → open, snoozed → pending (configurable), closed → solved.</summary>
    public static string ZendeskStatusFor(string intercomState, string snoozedStatus) => intercomState switch
    {
        "closed" => "solved",
        "snoozed" => snoozedStatus,
        _ => "open",
    };

    public static bool IsDone(string zendeskStatus) => zendeskStatus is "solved" or "closed";

    /// <summary>Zendesk's <c>{{ticket.status}}</c> may render the display name ("Solved").</summary>
    public static string Normalize(string status) => status.Trim().ToLowerInvariant();

    public static bool InStep(string intercomState, string zendeskStatus) => (intercomState == "closed") == IsDone(zendeskStatus);

    public static StatusDecision Decide(KnownStatus known, SideStatus intercom, SideStatus zendesk, bool reopenIntercomOnZendeskReopen, string snoozedStatus)
    {
        // Before the first status sync Intercom is the source: the ticket was made from the conversation.
        var intercomChanged = known.IntercomState != intercom.Status;
        var zendeskChanged = known.ZendeskStatus is not null && known.ZendeskStatus != zendesk.Status;

        if (intercomChanged && zendeskChanged)
        {
            if (InStep(intercom.Status, zendesk.Status))
            {
                return StatusDecision.Nothing(StatusOrigin.Intercom, $"Both sides changed and agree (Intercom {intercom.Status}, Zendesk {zendesk.Status})");
            }

            var zendeskIsLater = zendesk.ChangedAt is { } z && intercom.ChangedAt is { } i && z > i;
            return zendeskIsLater
                ? FromZendesk(intercom, zendesk, reopenIntercomOnZendeskReopen, "later than Intercom's change")
                : FromIntercom(intercom, zendesk, snoozedStatus, "later than Zendesk's change");
        }

        if (intercomChanged)
        {
            return FromIntercom(intercom, zendesk, snoozedStatus, null);
        }

        if (zendeskChanged)
        {
            return FromZendesk(intercom, zendesk, reopenIntercomOnZendeskReopen, null);
        }

        return StatusDecision.Nothing(StatusOrigin.Intercom, "Status unchanged on both sides");
    }

    private static StatusDecision FromIntercom(SideStatus intercom, SideStatus zendesk, string snoozedStatus, string? why)
    {
        var target = ZendeskStatusFor(intercom.Status, snoozedStatus);
        var change = $"Intercom {intercom.Status}{(why is null ? "" : $" ({why})")}";
        if (zendesk.Status == "closed")
        {
            return StatusDecision.Nothing(StatusOrigin.Intercom, $"{change}; the ticket is closed (final) in Zendesk and keeps its status");
        }

        return zendesk.Status == target
            ? StatusDecision.Nothing(StatusOrigin.Intercom, $"{change}; ticket already {target}")
            : new StatusDecision(StatusAction.UpdateZendesk, target, StatusOrigin.Intercom, $"{change} → ticket {target}");
    }

    private static StatusDecision FromZendesk(SideStatus intercom, SideStatus zendesk, bool reopenIntercom, string? why)
    {
        var change = $"Zendesk {zendesk.Status}{(why is null ? "" : $" ({why})")}";
        if (IsDone(zendesk.Status))
        {
            return intercom.Status == "closed"
                ? StatusDecision.Nothing(StatusOrigin.Zendesk, $"{change}; conversation already closed")
                : new StatusDecision(StatusAction.CloseIntercom, "closed", StatusOrigin.Zendesk, $"{change} → conversation closed");
        }

        if (intercom.Status != "closed")
        {
            // pending/hold/open in Zendesk do not snooze or wake an active conversation.
            return StatusDecision.Nothing(StatusOrigin.Zendesk, $"{change}; conversation stays {intercom.Status}");
        }

        return reopenIntercom
            ? new StatusDecision(StatusAction.ReopenIntercom, "open", StatusOrigin.Zendesk, $"{change} → conversation reopened")
            : StatusDecision.Nothing(StatusOrigin.Zendesk, $"{change}; conversation left closed (Status:ReopenIntercomOnZendeskReopen is off)");
    }

    /// <summary>When the conversation reached its current state: its latest state part, by the conversation's own clock.</summary>
    public static DateTimeOffset IntercomChangedAt(IntercomConversation conversation)
    {
        var parts = conversation.ConversationParts?.ConversationParts ?? [];
        var state = conversation.State ?? "open";
        var latest = parts
            .Where(p => state switch
            {
                "closed" => p.PartType == "close",
                "snoozed" => p.PartType == "snoozed",
                // A customer's reply reopens a closed conversation without an "open" part.
                _ => p.PartType is "open" or "unsnoozed" || (p.PartType == "comment" && p.Author?.Type is "user" or "lead" or "contact"),
            })
            .Select(p => p.CreatedAt)
            .DefaultIfEmpty(conversation.CreatedAt)
            .Max();
        return DateTimeOffset.FromUnixTimeSeconds(latest);
    }
}
