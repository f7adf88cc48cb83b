using Ferry.Sandbox.Extensions;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Webhooks;
using Ferry.Sandbox.Zendesk;

namespace Ferry.Sandbox.Scenarios;

/// <summary>
/// Sandbox:DemoTraffic: keeps creating conversations and replies at the chosen rate, with webhooks; some replies are
/// written by an agent in Zendesk (on the conversation's ticket), so dual mode's way back is part of the demo.
/// </summary>
public sealed partial class DemoTraffic(
    SandboxOptions options, ScenarioSeeder seeder, IntercomState intercom, ZendeskState zendesk, AgentDesk desk, WebhookDispatcher webhooks, ILogger<DemoTraffic> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The standard staff always exist: in sandbox mode Ferry closes conversations as Ada (Status:IntercomAdminEmail).
        var (admin, _, _) = seeder.EnsureStaff();
        if (options.SeedConversations > 0)
        {
            seeder.Seed(options.SeedConversations);
        }

        if (!options.DemoTraffic.Enabled || options.DemoTraffic.PerMinute <= 0)
        {
            return;
        }

        LogStarted(logger, options.DemoTraffic.PerMinute);
        var random = new Random();
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1 / options.DemoTraffic.PerMinute));
        var tick = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            tick++;
            var open = intercom.Conversations().Where(c => c.State != "closed").ToList();
            if (open.Count == 0 || tick % 3 == 1)
            {
                var created = seeder.Seed(1, random.Next(), partsPerConversation: 0)[0];
                webhooks.IntercomConversation("conversation.user.created", created.Id);
                continue;
            }

            var conversation = open[random.Next(open.Count)];
            var contact = intercom.Contact(conversation.ContactIds[0]);
            if (tick % 3 == 2 && contact is not null)
            {
                intercom.AddPart(conversation.Id, "comment", intercom.AuthorFor(contact), $"<p>Follow-up #{tick} from the customer ✉️</p>");
                webhooks.IntercomConversation("conversation.user.replied", conversation.Id);
            }
            else if (random.Next(4) == 0)
            {
                intercom.AddPart(conversation.Id, "close", IntercomState.AuthorFor(admin), null);
                webhooks.IntercomConversation("conversation.admin.closed", conversation.Id);
            }
            else if (random.Next(2) == 0 && AgentReply(conversation.Id, admin.Email, $"<p>Reply #{tick} from <b>{admin.Name}</b>, written in Zendesk</p>"))
            {
                continue;
            }
            else
            {
                intercom.AddPart(conversation.Id, "comment", IntercomState.AuthorFor(admin), $"<p>Reply #{tick} from <b>{admin.Name}</b></p>");
                webhooks.IntercomConversation("conversation.admin.replied", conversation.Id);
            }
        }
    }

    /// <summary>The admin's Zendesk agent replies on the conversation's open ticket, if Ferry has made one.</summary>
    private bool AgentReply(string conversationId, string agentEmail, string html)
    {
        var ticket = zendesk.TicketsByExternalId($"intercom-conversation-{conversationId}").LastOrDefault(t => t.Status != "closed");
        var agent = zendesk.SearchUsers($"email:{agentEmail}", null) is [var first, ..] ? first : null;
        return ticket is not null && agent is not null && desk.Comment(ticket.Id, agent.Id, html, isPublic: true).Error is null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo traffic: {PerMinute} events per minute")]
    private static partial void LogStarted(ILogger logger, double perMinute);
}
