namespace Ferry.Cli.Commands;

/// <summary>An identity operator call through the gateway (it routes ListLinks, GetLink and OverrideLink only).</summary>
internal abstract class IdentityCommand<TSettings> : AsyncCommand<TSettings> where TSettings : GatewaySettings
{
    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        using var channel = settings.CreateChannel();
        return await GatewayCall.ExitCodeAsync(() => RunAsync(new Identity.IdentityClient(channel), settings, cancellationToken), settings);
    }

    protected abstract Task RunAsync(Identity.IdentityClient client, TSettings settings, CancellationToken cancellationToken);

    protected static void Write(IEnumerable<ContactLink> links, bool json) =>
        GatewayCall.WriteReply(json, links, () => WriteTable(links));

    private static void WriteTable(IEnumerable<ContactLink> links)
    {
        var table = new Table().AddColumns("Intercom contact", "Zendesk user", "Matched by", "Emails", "Open conflicts");
        foreach (var link in links)
        {
            table.AddRow(
                Markup.Escape(link.IntercomContactId),
                link.ZendeskUserId.ToString(CultureInfo.InvariantCulture),
                link.Method.ToString(),
                Markup.Escape(string.Join(", ", link.EmailsSeen)),
                Markup.Escape(string.Join("; ", link.Conflicts.Where(c => !c.Resolved).Select(c => c.Detail))));
        }

        AnsiConsole.Write(table);
    }
}

internal sealed class LinksSettings : GatewaySettings
{
    [CommandOption("--conflicts")]
    [Description("Only contacts with an open email/external_id conflict.")]
    public bool ConflictsOnly { get; init; }

    [CommandOption("--limit <N>")]
    public int Limit { get; init; } = 50;
}

/// <summary>ferry links: contact ↔ Zendesk user links, the conflicts first when asked.</summary>
internal sealed class LinksCommand : IdentityCommand<LinksSettings>
{
    protected override async Task RunAsync(Identity.IdentityClient client, LinksSettings settings, CancellationToken cancellationToken)
    {
        var reply = await client.ListLinksAsync(new ListLinksRequest { PageSize = settings.Limit, ConflictsOnly = settings.ConflictsOnly }, cancellationToken: cancellationToken);
        Write(reply.Links, settings.Json);
    }
}

internal sealed class LinkSettings : GatewaySettings
{
    [CommandArgument(0, "<CONTACT_ID>")]
    public required string ContactId { get; init; }
}

/// <summary>ferry link show: one contact's link and its conflicts.</summary>
internal sealed class LinkShowCommand : IdentityCommand<LinkSettings>
{
    protected override async Task RunAsync(Identity.IdentityClient client, LinkSettings settings, CancellationToken cancellationToken) =>
        Write([await client.GetLinkAsync(new GetLinkRequest { IntercomContactId = settings.ContactId }, cancellationToken: cancellationToken)], settings.Json);
}

internal sealed class LinkOverrideSettings : GatewaySettings
{
    [CommandArgument(0, "<CONTACT_ID>")]
    public required string ContactId { get; init; }

    [CommandArgument(1, "<ZENDESK_USER_ID>")]
    public long ZendeskUserId { get; init; }

    [CommandOption("--reason <TEXT>")]
    [Description("Why, for the link's history.")]
    public string Reason { get; init; } = "";
}

/// <summary>ferry link override: points a contact at the chosen Zendesk user (resolves its conflicts).</summary>
internal sealed class LinkOverrideCommand : IdentityCommand<LinkOverrideSettings>
{
    protected override async Task RunAsync(Identity.IdentityClient client, LinkOverrideSettings settings, CancellationToken cancellationToken) =>
        Write([await client.OverrideLinkAsync(new OverrideLinkRequest { IntercomContactId = settings.ContactId, ZendeskUserId = settings.ZendeskUserId, Reason = settings.Reason }, cancellationToken: cancellationToken)], settings.Json);
}
