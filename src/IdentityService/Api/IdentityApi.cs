using Ferry.IdentityService.Agents;
using Ferry.IdentityService.Matching;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.IdentityService.Api;

/// <summary>ferry.v1.Identity: thin, maps protobuf ↔ domain; failures become status codes in <see cref="IdentityErrorMap"/>.</summary>
public sealed class IdentityApi(
    RequesterResolver requesters,
    BatchRequesterResolver batch,
    AgentResolver agents,
    LinkStore links,
    LinkOverrides overrides) : Identity.IdentityBase
{
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 50;

    public override async Task<ResolveRequesterReply> ResolveRequester(ResolveRequesterRequest request, ServerCallContext context)
    {
        var c = request.Contact ?? throw new InvalidContactException("contact is required.");
        var contact = ContactInput.Create(c.IntercomContactId, c.Role, c.Name, c.Email, c.OtherEmails, c.ExternalId);
        var result = await requesters.ResolveAsync(contact, request.Revalidate, context.CancellationToken);
        return new ResolveRequesterReply
        {
            ZendeskUserId = result.ZendeskUserId,
            Method = ProtoMapping.ToProto(result.Method),
            Conflict = result.Conflict is not null,
            ConflictDetail = result.Conflict?.Detail ?? "",
            ZendeskCalls = result.ZendeskCalls,
        };
    }

    public override async Task<ResolveRequestersReply> ResolveRequesters(ResolveRequestersRequest request, ServerCallContext context)
    {
        var contacts = request.Contacts.Select(c => ContactInput.Create(c.IntercomContactId, c.Role, c.Name, c.Email, c.OtherEmails, c.ExternalId)).ToList();
        var (results, calls) = await batch.ResolveAsync(contacts, request.DryRun, context.CancellationToken);
        var reply = new ResolveRequestersReply { ZendeskCalls = calls };
        reply.Contacts.AddRange(contacts.Zip(results, (contact, result) => new ResolvedContact
        {
            IntercomContactId = contact.ContactId,
            ZendeskUserId = result.ZendeskUserId,
            Method = ProtoMapping.ToProto(result.Method),
            Conflict = result.Conflict is not null,
            ConflictDetail = result.Conflict?.Detail ?? "",
        }));
        return reply;
    }

    public override async Task<ResolveAgentReply> ResolveAgent(ResolveAgentRequest request, ServerCallContext context)
    {
        var a = request.Admin ?? throw new InvalidContactException("admin is required.");
        var result = await agents.ResolveAsync(new AdminInput(a.IntercomAdminId, a.Name, a.Email, a.IntercomTeamId), context.CancellationToken);
        return new ResolveAgentReply
        {
            ZendeskAgentId = result.ZendeskAgentId ?? 0,
            Matched = result.Matched,
            UsedFallback = result.UsedFallback,
            Fallback = result.Fallback ?? "",
            ZendeskGroupId = result.ZendeskGroupId ?? 0,
        };
    }

    public override async Task<ListLinksReply> ListLinks(ListLinksRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0)
        {
            throw new InvalidContactException("page_size must not be negative.");
        }

        var size = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var after = ProtoMapping.DecodePageToken(request.PageToken);
        var page = await links.ListAsync(size, after, request.ConflictsOnly, context.CancellationToken);
        var reply = new ListLinksReply { NextPageToken = ProtoMapping.EncodePageToken(page.NextAfter) };
        reply.Links.AddRange(page.Links.Select(ProtoMapping.ToProto));
        return reply;
    }

    public override async Task<ContactLink> GetLink(GetLinkRequest request, ServerCallContext context)
    {
        var id = request.IntercomContactId?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            throw new InvalidContactException("intercom_contact_id is required.");
        }

        var view = await links.GetViewAsync(id, context.CancellationToken) ?? throw new LinkNotFoundException(id);
        return ProtoMapping.ToProto(view);
    }

    public override async Task<ContactLink> OverrideLink(OverrideLinkRequest request, ServerCallContext context) =>
        ProtoMapping.ToProto(
            await overrides.OverrideAsync(request.IntercomContactId, request.ZendeskUserId, request.Reason, context.CancellationToken));
}
