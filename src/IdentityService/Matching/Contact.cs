using Ferry.ServiceDefaults.Grpc;

namespace Ferry.IdentityService.Matching;

/// <summary>How a contact was matched to its Zendesk user.</summary>
public enum MatchMethod
{
    /// <summary>Served from the link table (no Zendesk lookup needed).</summary>
    ExistingLink,

    /// <summary>A contact address is the Zendesk user's primary email.</summary>
    PrimaryEmail,

    /// <summary>A contact address is one of the Zendesk user's secondary email identities.</summary>
    SecondaryEmail,

    /// <summary>No address matched; the Zendesk user carries the contact's external_id.</summary>
    ExternalId,

    /// <summary>Every lookup missed; Ferry created the user (create_or_update).</summary>
    Created,

    /// <summary>An operator pointed the contact at this user.</summary>
    Override,
}

/// <summary>
/// An Intercom contact as IdentityService matches it: addresses normalised (<see cref="EmailAddress"/>) and
/// de-duplicated (primary first), blank values dropped, anything else that is not an address refused.
/// </summary>
public sealed record ContactInput(string ContactId, string Role, string Name, IReadOnlyList<string> Emails, string? ExternalId)
{
    /// <summary>Prefix of the external_id Ferry gives Zendesk users of contacts with neither email nor external_id.</summary>
    public const string FallbackExternalIdPrefix = "intercom-contact-";

    public static ContactInput Create(string? contactId, string? role, string? name, string? email, IEnumerable<string>? otherEmails, string? externalId)
    {
        var id = contactId?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            throw new InvalidContactException("contact.intercom_contact_id is required.");
        }

        var emails = new List<string>();
        var candidates = (otherEmails ?? []).Select((e, i) => ((string?)e, $"contact.other_emails[{i}]"));
        foreach (var (candidate, field) in candidates.Prepend((email, "contact.email")))
        {
            if (string.IsNullOrWhiteSpace(candidate))
            {
                continue;
            }

            // Refused rather than searched: Zendesk search is full text, so a malformed value could find other people.
            var normalized = EmailAddress.Normalize(candidate)
                ?? throw new InvalidContactException($"{field} is not an email address (expected local-part@domain); nothing was linked.");
            if (!emails.Contains(normalized))
            {
                emails.Add(normalized);
            }
        }

        var ext = externalId?.Trim();
        return new ContactInput(id, role?.Trim() ?? "", name?.Trim() ?? "", emails, string.IsNullOrEmpty(ext) ? null : ext);
    }

    /// <summary>
    /// The external_id the Zendesk user is looked up and created with: the contact's own, or for a contact
    /// without any email (typically a lead) and without external_id, "intercom-contact-{id}", so that
    /// create_or_update stays idempotent for it too. Contacts with an email and no external_id match by email only.
    /// </summary>
    public string? ZendeskExternalId => ExternalId ?? (Emails.Count == 0 ? FallbackExternalIdPrefix + ContactId : null);

    public string? PrimaryEmail => Emails.Count > 0 ? Emails[0] : null;

    /// <summary>Zendesk requires a name: the contact's, else its address, else a label with its id.</summary>
    public string DisplayName =>
        Name.Length > 0 ? Name
        : PrimaryEmail ?? $"Intercom {(Role.Length > 0 ? Role : "contact")} {ContactId}";
}

/// <summary>The request itself is unusable (maps to InvalidArgument).</summary>
public sealed class InvalidContactException(string message) : InvalidRequestException(message);

/// <summary>No link for that contact (maps to NotFound).</summary>
public sealed class LinkNotFoundException(string contactId) : Exception($"No link for Intercom contact {contactId}.");

/// <summary>The operation cannot apply in the current state (maps to FailedPrecondition).</summary>
public sealed class MatchPreconditionException(string message) : Exception(message);
