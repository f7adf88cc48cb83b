using Ferry.IdentityService.Agents;
using Ferry.IdentityService.Data;
using Ferry.IdentityService.Matching;
using Ferry.IdentityService.Vendors.Zendesk;
using Ferry.V1;
using Grpc.Core;
using Npgsql;

namespace Ferry.IdentityService.Api;

/// <summary>ferry.v1.Identity: thin, maps protobuf ↔ domain and domain failures ↔ status codes.</summary>
public sealed partial class IdentityApi(
    RequesterResolver requesters,
    AgentResolver agents,
    LinkStore links,
    LinkOverrides overrides,
    ILogger<IdentityApi> logger) : Identity.IdentityBase
{
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 50;

    public override Task<ResolveRequesterReply> ResolveRequester(ResolveRequesterRequest request, ServerCallContext context) =>
        Guard(async () =>
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
        });

    public override Task<ResolveAgentReply> ResolveAgent(ResolveAgentRequest request, ServerCallContext context) =>
        Guard(async () =>
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
        });

    public override Task<ListLinksReply> ListLinks(ListLinksRequest request, ServerCallContext context) =>
        Guard(async () =>
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
        });

    public override Task<ContactLink> GetLink(GetLinkRequest request, ServerCallContext context) =>
        Guard(async () =>
        {
            var id = request.IntercomContactId?.Trim();
            if (string.IsNullOrEmpty(id))
            {
                throw new InvalidContactException("intercom_contact_id is required.");
            }

            var view = await links.GetViewAsync(id, context.CancellationToken) ?? throw new LinkNotFoundException(id);
            return ProtoMapping.ToProto(view);
        });

    public override Task<ContactLink> OverrideLink(OverrideLinkRequest request, ServerCallContext context) =>
        Guard(async () => ProtoMapping.ToProto(
            await overrides.OverrideAsync(request.IntercomContactId, request.ZendeskUserId, request.Reason, context.CancellationToken)));

    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (InvalidContactException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (LinkNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.NotFound, e.Message));
        }
        catch (MatchPreconditionException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        catch (ZendeskException e) when (e.IsTransient)
        {
            LogZendeskUnavailable(logger, e);
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message + " Retry later; nothing was linked."));
        }
        catch (ZendeskException e)
        {
            LogZendeskRejected(logger, e);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message + " Check the Zendesk settings and the contact's data."));
        }
        catch (NpgsqlException e)
        {
            LogDatabaseUnavailable(logger, e);
            throw new RpcException(new Status(StatusCode.Unavailable, "The identity database is unavailable. Retry later."));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk unavailable")]
    private static partial void LogZendeskUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Zendesk rejected a request")]
    private static partial void LogZendeskRejected(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Identity database unavailable")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception);
}
