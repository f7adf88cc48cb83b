using Ferry.IdentityService.Matching;

namespace Ferry.IdentityService.Data;

public sealed record LinkRecord(
    string ContactId,
    long ZendeskUserId,
    MatchMethod Method,
    IReadOnlyList<string> EmailsSeen,
    string? ExternalId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset VerifiedAt);

public sealed record ConflictRecord(LinkConflict Conflict, DateTimeOffset CreatedAt, bool Resolved);

public sealed record LinkView(LinkRecord Link, IReadOnlyList<ConflictRecord> Conflicts);

public sealed record LinkPage(IReadOnlyList<LinkView> Links, string? NextAfter);
