using System.Diagnostics;
using System.Text.Json;
using Ferry.TicketService.Dual;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.RoundTrip;

/// <param name="Ticket">The ticket as Zendesk last answered (after Ferry's write, if any).</param>
/// <param name="EchoDirection">When deliveries only reported a change Ferry itself had made (dropped): the direction of that change.</param>
public sealed record StatusOutcome(StatusDecision Decision, bool Applied, string Direction, int Echoes, string? EchoDirection, ZendeskTicket Ticket);

/// <summary>
/// The status round-trip for one conversation and its ticket, run at the end of every sync attempt.
/// Reads both sides' current status (never a webhook's claim, so reordered or duplicated deliveries
/// cannot flap anything), lets <see cref="StatusPolicy"/> decide, applies at most one write per side (the
/// ticket's carries the fields that follow the conversation too, docs/DUAL.md), and records the new in-step
/// pair, the change and the consumed deliveries in one fenced transaction.
/// </summary>
public sealed partial class StatusSync(
    IntercomClient intercom,
    ZendeskTicketsClient zendesk,
    ZendeskAccountClient account,
    FerryAdmin admin,
    SyncStore store,
    IOptions<StatusOptions> options,
    IOptions<SyncOptions> syncOptions,
    TicketTelemetry telemetry,
    ILogger<StatusSync> logger)
{
    /// <param name="lastSeen">The ticket as Zendesk last answered during this attempt, if it did.</param>
    /// <param name="assignment">Assignee and group to set with a status change that follows the conversation.</param>
    /// <param name="fields">Ticket fields that follow the conversation (Dual:FieldsFollow): they go in the status change's update, else in one of their own.</param>
    public async Task<StatusOutcome> ReconcileAsync(
        SyncAttempt attempt, IntercomConversation conversation, ZendeskTicket? lastSeen, long ticketId, (long? AssigneeId, long? GroupId) assignment,
        IReadOnlyDictionary<string, object?>? fields = null)
    {
        var cancellationToken = attempt.Cancellation;
        var job = attempt.Job;
        var records = await store.GetStatusRecordsAsync(job.ConversationId, cancellationToken);
        var known = new KnownStatus(records.IntercomState, records.ZendeskStatus);
        var deliveries = records.Deliveries.Select(StatusDelivery.From).ToList();
        var lastChanges = records.LastChanges;

        // A write this attempt made already returned the ticket's current state; otherwise read it.
        var ticket = lastSeen is { } seen && seen.Id == ticketId ? seen
            : await zendesk.GetAsync(ticketId, cancellationToken) ?? throw PermanentSyncException.TicketDeleted(ticketId);
        var intercomSide = new SideStatus(conversation.State ?? "open", StatusPolicy.IntercomChangedAt(conversation));
        var zendeskSide = new SideStatus(StatusPolicy.Normalize(ticket.Status), ticket.UpdatedAt);
        var settings = options.Value;
        var decision = StatusPolicy.Decide(known, intercomSide, zendeskSide, settings.ReopenIntercomOnZendeskReopen, syncOptions.Value.SnoozedStatus);
        Activity.Current?.SetTag("ferry.status.decision", decision.Action.ToString());

        var intercomState = intercomSide.Status;
        DateTimeOffset? appliedVersion = null;
        fields ??= new Dictionary<string, object?>();
        if (decision.Action != StatusAction.None || fields.Count > 0)
        {
            attempt.BeforeVendorWrite(decision.Action is StatusAction.CloseIntercom or StatusAction.ReopenIntercom ? AttemptLog.ZendeskToIntercom : AttemptLog.IntercomToZendesk);
        }

        switch (decision.Action)
        {
            case StatusAction.UpdateZendesk:
                ticket = await account.UpdateFieldsAsync(ticketId, StatusChange(decision.Target!, assignment, fields), cancellationToken);
                appliedVersion = ticket.UpdatedAt;
                break;
            case StatusAction.CloseIntercom:
                var closed = await intercom.CloseAsync(job.ConversationId, await admin.IdAsync(cancellationToken), settings.ClosingNote, cancellationToken);
                intercomState = closed.State ?? "closed";
                appliedVersion = TicketPlanner.FromUnix(closed.UpdatedAt);
                break;
            case StatusAction.ReopenIntercom:
                var reopened = await intercom.ReopenAsync(job.ConversationId, await admin.IdAsync(cancellationToken), cancellationToken);
                intercomState = reopened.State ?? "open";
                appliedVersion = TicketPlanner.FromUnix(reopened.UpdatedAt);
                break;
        }

        if (decision.Action != StatusAction.UpdateZendesk && fields.Count > 0)
        {
            ticket = await account.UpdateFieldsAsync(ticketId, fields, cancellationToken);
        }

        var applied = decision.Action != StatusAction.None;
        var direction = decision.Action == StatusAction.UpdateZendesk || decision.Origin == StatusOrigin.Intercom ? AttemptLog.IntercomToZendesk : AttemptLog.ZendeskToIntercom;
        var echoes = deliveries.Where(d => d.IsEchoOf(lastChanges)).ToList();
        var zendeskStatus = StatusPolicy.Normalize(ticket.Status);
        var fromIntercom = direction == AttemptLog.IntercomToZendesk;
        var change = applied
            ? new StatusChangeRow(direction, fromIntercom ? intercomSide.Status : zendeskSide.Status, fromIntercom ? intercomSide.ChangedAt : zendeskSide.ChangedAt,
                fromIntercom ? zendeskStatus : intercomState, appliedVersion)
            : null;
        // The attempt's last write: it commits with the attempt's outcome.
        attempt.WriteWithOutcome(tx => tx.RecordStatus(ticketId, intercomState, zendeskStatus, change, [.. deliveries.Select(d => d.Row)]));

        if (applied)
        {
            telemetry.StatusChanges.Add(1, new KeyValuePair<string, object?>("direction", direction));
            LogApplied(logger, job.ConversationId, ticketId, direction, decision.Reason);
        }

        foreach (var echo in echoes)
        {
            telemetry.EchoesDropped.Add(1, new KeyValuePair<string, object?>("vendor", echo.Source));
            LogEcho(logger, job.ConversationId, ticketId, echo.Source, echo.DeliveryId, echo.ReportedStatus);
        }

        return new StatusOutcome(decision, applied, direction, echoes.Count, echoes.Select(e => e.ChangeDirection).FirstOrDefault(), ticket);
    }

    /// <summary>The ticket's one update: the status with the conversation's assignee and group, and the fields that follow (theirs win: they include the group named after the team).</summary>
    private static Dictionary<string, object?> StatusChange(string status, (long? AssigneeId, long? GroupId) assignment, IReadOnlyDictionary<string, object?> fields)
    {
        var update = new Dictionary<string, object?>(StringComparer.Ordinal) { ["status"] = status };
        if (assignment.AssigneeId is { } assignee)
        {
            update["assignee_id"] = assignee;
        }

        if (assignment.GroupId is { } group)
        {
            update["group_id"] = group;
        }

        foreach (var (name, value) in fields)
        {
            update[name] = value;
        }

        return update;
    }

    /// <summary>A status webhook waiting to be weighed: <see cref="ReportedStatus"/> is what the vendor said the status became.</summary>
    private sealed record StatusDelivery(UncheckedDelivery Row, string? ReportedStatus)
    {
        public static StatusDelivery From(UncheckedDelivery row) =>
            new(row, row.Source == "zendesk" ? ZendeskReportedStatus(row.Payload) : IntercomReportedState(row.Topic));

        public string Source => Row.Source;

        public string DeliveryId => Row.DeliveryId;

        /// <summary>
        /// It reports the very status Ferry last wrote to that vendor, no later than Ferry's write:
        /// the vendor telling Ferry about Ferry's own change.
        /// </summary>
        public bool IsEchoOf(IReadOnlyDictionary<string, LastStatusChange> lastChanges) =>
            ReportedStatus is not null
                && lastChanges.TryGetValue(ChangeDirection, out var change)
                && change.AppliedStatus == ReportedStatus
                && (Row.EventAt is null || change.Version is null || Row.EventAt <= change.Version.Value.AddSeconds(1));

        /// <summary>A change Ferry wrote to this delivery's vendor went this way.</summary>
        public string ChangeDirection => Source == "zendesk" ? AttemptLog.IntercomToZendesk : AttemptLog.ZendeskToIntercom;
    }

    private static string? IntercomReportedState(string topic) => topic switch
    {
        "conversation.admin.closed" => "closed",
        "conversation.admin.opened" or "conversation.admin.unsnoozed" => "open",
        "conversation.admin.snoozed" => "snoozed",
        _ => null,
    };

    /// <summary>The <c>status</c> of Ferry's Zendesk webhook template (docs/WEBHOOKS.md); the gateway checked the shape.</summary>
    private static string? ZendeskReportedStatus(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
                ? StatusPolicy.Normalize(status.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: status {Direction}: {Reason}")]
    private static partial void LogApplied(ILogger logger, string conversationId, long ticketId, string direction, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: {Vendor} delivery {DeliveryId} reported status {Status}, Ferry's own change; dropped")]
    private static partial void LogEcho(ILogger logger, string conversationId, long ticketId, string vendor, string deliveryId, string? status);
}
