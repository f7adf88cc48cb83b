namespace Ferry.TicketService.Reconcile;

/// <summary>The kinds of drift the reconciler finds (the `kind` tag of ferry.reconcile.findings, and the reason's prefix in the attempt log).</summary>
public static class FindingKind
{
    public const string MissingTicket = "missing-ticket";
    public const string MissingParts = "missing-parts";
    public const string StatusDrift = "status-drift";
    public const string DeadCleared = "dead-cleared";
    public const string MissingComments = "missing-comments";
    public const string TicketDeleted = "ticket-deleted";
}

public sealed record Drift(string Kind, string Detail);

/// <summary>Compares a conversation as Intercom's search returns it (no parts, with statistics) with Ferry's records.</summary>
public static class ConversationDrift
{
    /// <summary>Intercom's clock and ours are compared only where search gives no part count.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    public static Drift? Find(IntercomConversation conversation, ConversationRecord? record, bool excludedByRules)
    {
        var updatedAt = DateTimeOffset.FromUnixTimeSeconds(conversation.UpdatedAt);
        switch (record?.JobState)
        {
            case JobState.Pending or JobState.Running:
                return null;
            case JobState.Dead when record.Death == "permanent":
                // A vendor refused it for good; once someone changes the conversation, that may have changed.
                return record.JobFinishedAt < updatedAt
                    ? new Drift(FindingKind.DeadCleared, $"changed in Intercom since its job died ({record.LastError})")
                    : null;
            case JobState.Dead:
                // Transient deaths come back through ReconcileStore.ClearedDeadJobsAsync, after the retry window.
                return null;
        }

        if (record?.TicketId is null)
        {
            // A finished job that read this version already decided (no contact to be the requester, say).
            var decided = record?.JobFinishedAt is { } seen && seen >= updatedAt;
            return excludedByRules || decided ? null : new Drift(FindingKind.MissingTicket, "no ticket, and the rules do not keep it out");
        }

        if (conversation.Statistics?.CountConversationParts is { } count)
        {
            if (count > record.PartsTotal)
            {
                return new Drift(FindingKind.MissingParts, $"Intercom has {count} part(s), the last sync saw {record.PartsTotal}");
            }
        }
        else if (record.JobFinishedAt is { } synced && updatedAt > synced + ClockSkew)
        {
            return new Drift(FindingKind.MissingParts, $"updated in Intercom at {updatedAt:u}, after the last sync");
        }

        return record.IntercomState is { } inStep && conversation.State is { } state && state != inStep
            ? new Drift(FindingKind.StatusDrift, $"conversation is {state} in Intercom, last in step as {inStep}")
            : null;
    }
}
