namespace Ferry.Sandbox.Intercom;

// The sandbox's Intercom workspace. Mutable records guarded by IntercomState's lock; tests read snapshots.

public sealed class IcContact
{
    public string Id { get; init; } = "";

    /// <summary>user or lead.</summary>
    public string Role { get; set; } = "user";

    public string? Email { get; set; }

    public string? ExternalId { get; set; }

    public string? Name { get; set; }

    public string? Phone { get; set; }

    // The email-status flags Intercom's Node client declares required on a contact.
    public bool HasHardBounced { get; set; }

    public bool MarkedEmailAsSpam { get; set; }

    public bool UnsubscribedFromEmails { get; set; }

    public long CreatedAt { get; init; }

    public long UpdatedAt { get; set; }
}

public sealed class IcAdmin
{
    public string Id { get; init; } = "";

    public string Name { get; init; } = "";

    public string Email { get; init; } = "";

    public List<long> TeamIds { get; } = [];
}

public sealed record IcTeam(string Id, string Name, IReadOnlyList<long> AdminIds);

public sealed record IcTag(string Id, string Name);

/// <summary>An attachment whose bytes are generated on the fly from <see cref="Seed"/> (never stored).</summary>
public sealed record IcAttachment(string Name, string ContentType, long Size, long Seed, int? Width = null, int? Height = null);

/// <summary>Part/source author: admin, bot, user, lead or team.</summary>
public sealed record IcAuthor(string Type, string Id, string? Name, string? Email);

public sealed class IcPart
{
    public string Id { get; init; } = "";

    public string PartType { get; init; } = "comment";

    public string? Body { get; init; }

    public long CreatedAt { get; init; }

    public IcAuthor Author { get; init; } = new("bot", "0", null, null);

    public List<IcAttachment> Attachments { get; init; } = [];

    public IcAuthor? AssignedTo { get; init; }
}

public sealed class IcConversation
{
    public string Id { get; init; } = "";

    public string? Title { get; set; }

    public long CreatedAt { get; init; }

    public long UpdatedAt { get; set; }

    /// <summary>open, closed or snoozed.</summary>
    public string State { get; set; } = "open";

    public long? SnoozedUntil { get; set; }

    public long? WaitingSince { get; set; }

    public bool Read { get; set; }

    /// <summary>none, low, medium, high or urgent.</summary>
    public string Priority { get; set; } = "none";

    public long? AdminAssigneeId { get; set; }

    public long? TeamAssigneeId { get; set; }

    public List<IcTag> Tags { get; } = [];

    public List<string> ContactIds { get; } = [];

    public Dictionary<string, object?> CustomAttributes { get; } = [];

    public string SourceId { get; init; } = "";

    public string SourceSubject { get; init; } = "";

    public string SourceBody { get; init; } = "";

    public string DeliveredAs { get; init; } = "customer_initiated";

    public IcAuthor SourceAuthor { get; init; } = new("user", "", null, null);

    public List<IcAttachment> SourceAttachments { get; init; } = [];

    public List<IcPart> Parts { get; } = [];
}
