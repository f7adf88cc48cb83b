using System.Diagnostics;
using Ferry.TicketService.Dual;
using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Rules;

/// <summary>The configured <see cref="RuleBook"/> for the sync engine, with the skip's log line and metric.</summary>
public sealed partial class RuleEngine(IOptions<RulesOptions> rules, IOptions<DualOptions> dual, TicketTelemetry telemetry, ILogger<RuleEngine> logger)
{
    private readonly RuleBook _book = new(rules.Value, dual.Value.Tag);

    public RoutingDecision Evaluate(IntercomConversation conversation)
    {
        var decision = _book.Evaluate(conversation);
        if (decision.MatchedRoutes.Count > 0)
        {
            Activity.Current?.SetTag("ferry.rules.matched", string.Join(",", decision.MatchedRoutes));
        }

        return decision;
    }

    /// <summary>A conversation the rules keep out of Zendesk (no ticket, nothing written): its log line, metric and trace tag.</summary>
    public void RecordSkip(string conversationId, RoutingDecision decision)
    {
        Activity.Current?.SetTag("ferry.rules.skipped_by", decision.SkipRule);
        telemetry.SkippedByRule.Add(1, new KeyValuePair<string, object?>("rule", decision.SkipRule));
        LogSkipped(logger, conversationId, decision.SkipRule, decision.SkipReason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} skipped by rule {Rule}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string conversationId, string? rule, string? reason);
}
