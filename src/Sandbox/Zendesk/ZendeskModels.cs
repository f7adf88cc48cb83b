namespace Ferry.Sandbox.Zendesk;

// The sandbox's Zendesk account. Mutable records guarded by ZendeskState's lock; tests read snapshots.

public sealed class ZdUser
{
    public long Id { get; init; }

    public string Name { get; set; } = "";

    public string? ExternalId { get; set; }

    /// <summary>end-user, agent or admin.</summary>
    public string Role { get; set; } = "end-user";

    public string? Phone { get; set; }

    public bool Active { get; set; } = true;

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<ZdIdentity> Identities { get; } = [];

    public List<string> Tags { get; } = [];

    /// <summary>The primary email identity, if any.</summary>
    public string? Email => Identities.FirstOrDefault(i => i.Type == "email" && i.Primary)?.Value
        ?? Identities.FirstOrDefault(i => i.Type == "email")?.Value;

    public bool HasEmail(string email) =>
        Identities.Any(i => i.Type == "email" && string.Equals(i.Value, email, StringComparison.OrdinalIgnoreCase));
}

public sealed class ZdIdentity
{
    public long Id { get; init; }

    public long UserId { get; init; }

    public string Type { get; init; } = "email";

    public string Value { get; init; } = "";

    public bool Primary { get; set; }

    public bool Verified { get; set; } = true;

    public DateTimeOffset CreatedAt { get; init; }
}

public sealed class ZdTicket
{
    public long Id { get; init; }

    public string? ExternalId { get; set; }

    public string Subject { get; set; } = "";

    public string Status { get; set; } = "new";

    public string? Priority { get; set; }

    public string? Type { get; set; }

    public long RequesterId { get; set; }

    public long? SubmitterId { get; set; }

    public long? AssigneeId { get; set; }

    public long? GroupId { get; set; }

    public List<string> Tags { get; set; } = [];

    public List<ZdCustomField> CustomFields { get; set; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? SolvedAt { get; set; }

    public long? FollowupSourceId { get; init; }

    public List<long> FollowupIds { get; } = [];

    /// <summary>"api" for tickets created through the API, "import" for imports.</summary>
    public string Channel { get; init; } = "api";

    public bool Archived { get; set; }

    public List<ZdComment> Comments { get; } = [];
}

public sealed record ZdCustomField(long Id, object? Value);

public sealed class ZdComment
{
    public long Id { get; init; }

    public long AuthorId { get; init; }

    public string Body { get; init; } = "";

    public string HtmlBody { get; init; } = "";

    public bool Public { get; init; } = true;

    public DateTimeOffset CreatedAt { get; init; }

    public List<ZdAttachment> Attachments { get; } = [];
}

public sealed class ZdAttachment
{
    public long Id { get; init; }

    /// <summary>Secret part of the download URL.</summary>
    public string DownloadToken { get; init; } = "";

    public string FileName { get; init; } = "";

    public string ContentType { get; init; } = "application/octet-stream";

    public long Size { get; init; }

    /// <summary>Lower-case hex SHA-256 of the uploaded bytes.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>The bytes, kept only for small uploads (see Sandbox:Zendesk:KeepUploadBytesUpTo).</summary>
    public byte[]? Content { get; init; }
}

public sealed class ZdUpload
{
    public string Token { get; init; } = "";

    public DateTimeOffset ExpiresAt { get; init; }

    public List<ZdAttachment> Attachments { get; } = [];

    /// <summary>The comment that used this upload token (null until used).</summary>
    public long? CommentId { get; set; }
}

public sealed class ZdJobStatus
{
    public string Id { get; init; } = "";

    public string JobType { get; init; } = "";

    public string Status { get; set; } = "queued";

    public List<Dictionary<string, object?>> Results { get; set; } = [];

    public int Total { get; init; }

    /// <summary>Still waiting in the queue (Sandbox:Zendesk:QueueJobTypes): nothing done yet.</summary>
    public bool Queued { get; set; }

    /// <summary>How many times its status was asked for.</summary>
    public int Polls { get; set; }
}

public sealed record ZdGroup(long Id, string Name);

public sealed record ZdTicketField(long Id, string Type, string Title, IReadOnlyList<string>? Options = null);
