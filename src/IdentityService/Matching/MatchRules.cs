using System.Globalization;

namespace Ferry.IdentityService.Matching;

public enum ConflictKind
{
    /// <summary>The email belongs to one Zendesk user, the external_id to another (or the email user carries a different external_id).</summary>
    EmailExternalIdMismatch,

    /// <summary>An address of the contact could not be added to its user: another Zendesk user holds it.</summary>
    EmailOwnedByOtherUser,
}

public sealed record LinkConflict(ConflictKind Kind, long? EmailUserId, long? ExternalIdUserId, long ChosenUserId, string Detail)
{
    public static string KindName(ConflictKind kind) => kind switch
    {
        ConflictKind.EmailExternalIdMismatch => "email_external_id_mismatch",
        _ => "email_owned_by_other_user",
    };

    public static ConflictKind ParseKind(string name) =>
        name == "email_external_id_mismatch" ? ConflictKind.EmailExternalIdMismatch : ConflictKind.EmailOwnedByOtherUser;
}

/// <summary>The outcome of the lookups: a user to link (null: create one) and how it matched.</summary>
public sealed record MatchDecision(ZendeskUser? User, MatchMethod Method, LinkConflict? Conflict);

/// <summary>
/// The matching rules, free of I/O. Order: email (any identity) → external_id → create.
/// Conflict rule: when the email and the external_id point at different users, the EMAIL OWNER WINS
/// (it is the address the customer writes from and the one Zendesk notifies, and email comes first in
/// the lookup order); nothing is merged or rewritten, and the conflict is recorded for an operator.
/// </summary>
public static class MatchRules
{
    public static MatchDecision Decide(string? contactExternalId, ZendeskUser? byEmail, string? matchedEmail, ZendeskUser? byExternalId)
    {
        if (byEmail is not null)
        {
            var method = string.Equals(EmailAddress.Normalize(byEmail.Email), matchedEmail, StringComparison.Ordinal)
                ? MatchMethod.PrimaryEmail
                : MatchMethod.SecondaryEmail;
            LinkConflict? conflict = null;
            if (byExternalId is not null && byExternalId.Id != byEmail.Id)
            {
                conflict = new LinkConflict(ConflictKind.EmailExternalIdMismatch, byEmail.Id, byExternalId.Id, byEmail.Id,
                    string.Create(CultureInfo.InvariantCulture,
                        $"The contact's email belongs to Zendesk user {byEmail.Id} but its external_id to user {byExternalId.Id}; linked to {byEmail.Id} (email wins), nothing merged."));
            }
            else if (contactExternalId is not null && !string.IsNullOrEmpty(byEmail.ExternalId)
                && !string.Equals(byEmail.ExternalId, contactExternalId, StringComparison.Ordinal))
            {
                conflict = new LinkConflict(ConflictKind.EmailExternalIdMismatch, byEmail.Id, null, byEmail.Id,
                    string.Create(CultureInfo.InvariantCulture,
                        $"The contact's email belongs to Zendesk user {byEmail.Id}, which carries a different external_id; linked to {byEmail.Id} (email wins), external_id left unchanged."));
            }

            return new MatchDecision(byEmail, method, conflict);
        }

        return byExternalId is not null
            ? new MatchDecision(byExternalId, MatchMethod.ExternalId, null)
            : new MatchDecision(null, MatchMethod.Created, null);
    }
}
