using System.Buffers.Text;
using System.Text;
using Ferry.IdentityService.Matching;
using Google.Protobuf.WellKnownTypes;
using ProtoMatchMethod = Ferry.V1.MatchMethod;

namespace Ferry.IdentityService.Api;

internal static class ProtoMapping
{
    public static ProtoMatchMethod ToProto(MatchMethod method) => method switch
    {
        MatchMethod.ExistingLink => ProtoMatchMethod.ExistingLink,
        MatchMethod.PrimaryEmail => ProtoMatchMethod.PrimaryEmail,
        MatchMethod.SecondaryEmail => ProtoMatchMethod.SecondaryEmail,
        MatchMethod.ExternalId => ProtoMatchMethod.ExternalId,
        MatchMethod.Created => ProtoMatchMethod.Created,
        MatchMethod.Override => ProtoMatchMethod.Override,
        _ => ProtoMatchMethod.Unspecified,
    };

    public static V1.ContactLink ToProto(LinkView view)
    {
        var link = view.Link;
        var proto = new V1.ContactLink
        {
            IntercomContactId = link.ContactId,
            ZendeskUserId = link.ZendeskUserId,
            Method = ToProto(link.Method),
            ExternalId = link.ExternalId ?? "",
            CreatedAt = Timestamp.FromDateTimeOffset(link.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(link.UpdatedAt),
            VerifiedAt = Timestamp.FromDateTimeOffset(link.VerifiedAt),
        };
        proto.EmailsSeen.AddRange(link.EmailsSeen);
        proto.Conflicts.AddRange(view.Conflicts.Select(c => new V1.LinkConflict
        {
            Kind = LinkConflict.KindName(c.Conflict.Kind),
            EmailUserId = c.Conflict.EmailUserId ?? 0,
            ExternalIdUserId = c.Conflict.ExternalIdUserId ?? 0,
            ChosenUserId = c.Conflict.ChosenUserId,
            Detail = c.Conflict.Detail,
            CreatedAt = Timestamp.FromDateTimeOffset(c.CreatedAt),
            Resolved = c.Resolved,
        }));
        return proto;
    }

    public static string EncodePageToken(string? after) =>
        after is null ? "" : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(after));

    public static string? DecodePageToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw new InvalidContactException("page_token is not a token returned by ListLinks.");
        }
    }
}
