namespace Ferry.TicketService.Migration;

/// <summary>
/// What a bulk backfill run selects and how it imports: conversations updated in [UpdatedSince,
/// UpdatedBefore), in one of <see cref="States"/> (empty: any), and not kept out by the routing rules.
/// </summary>
/// <param name="ArchiveClosed">Closed conversations are imported as closed tickets with archive_immediately (else as live sync would: solved).</param>
/// <param name="Limit">Stop after this many conversations selected (0: no limit).</param>
public sealed record BulkPlan(
    DateTimeOffset? UpdatedSince,
    DateTimeOffset? UpdatedBefore,
    IReadOnlyList<string> States,
    bool ArchiveClosed,
    bool DryRun,
    int Limit);

/// <summary>A run's figures. A dry run's equal the real run's over the same selection, Zendesk calls aside (estimated).</summary>
public sealed record BackfillFigures
{
    /// <summary>Conversations the selection found (time range and state).</summary>
    public int Seen { get; init; }

    /// <summary>Already linked to a ticket (synced live or by an earlier run): not imported again.</summary>
    public int AlreadySynced { get; init; }

    /// <summary>A live job was queued or running for them: live sync makes their ticket.</summary>
    public int LeftToLiveSync { get; init; }

    public int SkippedByRules { get; init; }

    /// <summary>No contact to be the requester (live sync skips them too).</summary>
    public int NoRequester { get; init; }

    public int Tickets { get; init; }

    public int Comments { get; init; }

    public int UsersLinked { get; init; }

    public int UsersMatched { get; init; }

    public int UsersToCreate { get; init; }

    public int UserConflicts { get; init; }

    public int AttachmentFiles { get; init; }

    public long AttachmentBytes { get; init; }

    /// <summary>Zendesk calls made (a dry run: the calls the real run would make).</summary>
    public int ZendeskCalls { get; init; }

    /// <summary>Intercom's count of conversations in the time range (for progress; before the state filter).</summary>
    public int Total { get; init; }

    public BackfillFigures Add(BackfillFigures other) => new()
    {
        Seen = Seen + other.Seen,
        AlreadySynced = AlreadySynced + other.AlreadySynced,
        LeftToLiveSync = LeftToLiveSync + other.LeftToLiveSync,
        SkippedByRules = SkippedByRules + other.SkippedByRules,
        NoRequester = NoRequester + other.NoRequester,
        Tickets = Tickets + other.Tickets,
        Comments = Comments + other.Comments,
        UsersLinked = UsersLinked + other.UsersLinked,
        UsersMatched = UsersMatched + other.UsersMatched,
        UsersToCreate = UsersToCreate + other.UsersToCreate,
        UserConflicts = UserConflicts + other.UserConflicts,
        AttachmentFiles = AttachmentFiles + other.AttachmentFiles,
        AttachmentBytes = AttachmentBytes + other.AttachmentBytes,
        ZendeskCalls = ZendeskCalls + other.ZendeskCalls,
        Total = Math.Max(Total, other.Total),
    };
}
