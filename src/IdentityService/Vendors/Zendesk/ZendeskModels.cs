using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.ServiceDefaults.Vendors;

namespace Ferry.IdentityService.Vendors.Zendesk;

/// <summary>The fields of Zendesk's UserObject that matching reads.</summary>
public sealed record ZendeskUser(long Id, string? Name, string? Email, string? ExternalId, string? Role, bool Active = true);

/// <summary>UserIdentityObject (type "email" is the only kind Ferry adds or reads).</summary>
public sealed record ZendeskIdentity(long Id, long UserId, string Type, string Value, bool Primary);

/// <summary>
/// create_or_update / create_many input: name, primary email and external_id. SkipVerifyEmail: the customer gets
/// no verification (welcome) email from a user Ferry creates, whatever the account's end-user settings say.
/// </summary>
public sealed record ZendeskUserInput(string Name, string? Email, string? ExternalId, string Role = "end-user", bool SkipVerifyEmail = true);

public enum IdentityAddOutcome
{
    Added,

    /// <summary>422: the address is taken (by this user or another; the caller checks which).</summary>
    Rejected,

    UserNotFound,
}

internal sealed record UserEnvelope(ZendeskUser? User);

internal sealed record UsersPage(List<ZendeskUser>? Users, string? NextPage);

internal sealed record IdentitiesPage(List<ZendeskIdentity>? Identities, string? NextPage);

internal sealed record UserRequest(ZendeskUserInput User);

internal sealed record IdentityInput(string Type, string Value, bool SkipVerifyEmail);

internal sealed record IdentityRequest(IdentityInput Identity);

internal static class ZendeskJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>Zendesk could not answer usefully. Transient: rate limited, 5xx, timeout, connection refused.</summary>
public sealed class ZendeskException(string message, bool transient, int? status = null, Exception? inner = null)
    : VendorFailureException(message, inner)
{
    public override bool IsTransient { get; } = transient;

    public int? Status { get; } = status;
}
