using System.Diagnostics;
using System.Text.Json;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Queue;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Telemetry;
using Ferry.TicketService.Vendors.Intercom;
using Ferry.TicketService.Vendors.Zendesk;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.RoundTrip;

/// <param name="Ticket">The ticket as Zendesk last answered (after Ferry's write, if any).</param>
/// <param name="EchoDirection">When deliveries only reported a change Ferry itself had made (dropped): the direction of that change.</param>
public sealed record StatusOutcome(StatusDecision Decision, bool Applied, string Direction, int Echoes, string? EchoDirection, ZendeskTicket Ticket);

/// <summary>
/// The status round-trip for one conversation and its ticket, run at the end of every sync attempt.
/// Reads both sides' current status (never a webhook's claim, so reordered or duplicated deliveries
/// cannot flap anything), lets <see cref="StatusPolicy"/> decide, applies at most one write, and
/// records the new in-step pair, the change and the consumed deliveries in one fenced transaction.
/// </summary>
public sealed partial class StatusSync(
    IntercomClient intercom,
    ZendeskTicketsClient zendesk,
    FerryAdmin admin,
    NpgsqlDataSource db,
    IOptions<StatusOptions> options,
    IOptions<SyncOptions> syncOptions,
    TicketTelemetry telemetry,
    ILogger<StatusSync> logger)
{
    public async Task<StatusOutcome> ReconcileAsync(
        ClaimedJob job, IntercomConversation conversation, ZendeskTicket? lastSeen, long ticketId, long? assigneeId, long? groupId, CancellationToken cancellationToken)
    {
        var known = await KnownAsync(job.ConversationId, cancellationToken);
        var deliveries = await UncheckedDeliveriesAsync(job.ConversationId, cancellationToken);
        var lastChanges = await LastChangesAsync(job.ConversationId, cancellationToken);

        // A write this attempt made already returned the ticket's current state; otherwise read it.
        var ticket = lastSeen is { } seen && seen.Id == ticketId ? seen
            : await zendesk.GetAsync(ticketId, cancellationToken) ?? throw new InvalidOperationException($"Zendesk ticket {ticketId} no longer exists (deleted in Zendesk?).");
        var intercomSide = new SideStatus(conversation.State ?? "open", StatusPolicy.IntercomChangedAt(conversation));
        var zendeskSide = new SideStatus(StatusPolicy.Normalize(ticket.Status), ticket.UpdatedAt);
        var settings = options.Value;
        var decision = StatusPolicy.Decide(known, intercomSide, zendeskSide, settings.ReopenIntercomOnZendeskReopen, syncOptions.Value.SnoozedStatus);
        Activity.Current?.SetTag("ferry.status.decision", decision.Action.ToString());

        var intercomState = intercomSide.Status;
        DateTimeOffset? appliedVersion = null;
        switch (decision.Action)
        {
            case StatusAction.UpdateZendesk:
                ticket = (await zendesk.UpdateAsync(ticketId, new TicketUpdate(null, decision.Target, assigneeId, groupId), cancellationToken)).Ticket;
                appliedVersion = ticket.UpdatedAt;
                break;
            case StatusAction.CloseIntercom:
                var closed = await intercom.CloseAsync(job.ConversationId, await admin.IdAsync(intercom, cancellationToken), settings.ClosingNote, cancellationToken);
                intercomState = closed.State ?? "closed";
                appliedVersion = TicketPlanner.FromUnix(closed.UpdatedAt);
                break;
            case StatusAction.ReopenIntercom:
                var reopened = await intercom.ReopenAsync(job.ConversationId, await admin.IdAsync(intercom, cancellationToken), cancellationToken);
                intercomState = reopened.State ?? "open";
                appliedVersion = TicketPlanner.FromUnix(reopened.UpdatedAt);
                break;
        }

        var applied = decision.Action != StatusAction.None;
        var direction = decision.Action == StatusAction.UpdateZendesk || decision.Origin == StatusOrigin.Intercom ? AttemptLog.IntercomToZendesk : AttemptLog.ZendeskToIntercom;
        var echoes = deliveries.Where(d => d.IsEchoOf(lastChanges)).ToList();
        await RecordAsync(job, ticketId, intercomState, StatusPolicy.Normalize(ticket.Status), applied ? new AppliedChange(direction, decision, intercomSide, zendeskSide, appliedVersion) : null,
            deliveries, cancellationToken);

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

    private sealed record AppliedChange(string Direction, StatusDecision Decision, SideStatus Intercom, SideStatus Zendesk, DateTimeOffset? Version);

    private sealed record LastChange(string AppliedStatus, DateTimeOffset? Version);

    /// <summary>A status webhook waiting to be weighed: <see cref="ReportedStatus"/> is what the vendor said the status became.</summary>
    private sealed record StatusDelivery(string Source, string DeliveryId, string? ReportedStatus, DateTimeOffset? EventAt)
    {
        /// <summary>
        /// It reports the very status Ferry last wrote to that vendor, no later than Ferry's write:
        /// the vendor telling Ferry about Ferry's own change.
        /// </summary>
        public bool IsEchoOf(IReadOnlyDictionary<string, LastChange> lastChanges) =>
            ReportedStatus is not null
                && lastChanges.TryGetValue(ChangeDirection, out var change)
                && change.AppliedStatus == ReportedStatus
                && (EventAt is null || change.Version is null || EventAt <= change.Version.Value.AddSeconds(1));

        /// <summary>A change Ferry wrote to this delivery's vendor went this way.</summary>
        public string ChangeDirection => Source == "zendesk" ? AttemptLog.IntercomToZendesk : AttemptLog.ZendeskToIntercom;
    }

    private async Task<KnownStatus> KnownAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT intercom_state, zendesk_status FROM sync.tickets WHERE conversation_id = @conversation_id");
        command.Parameters.AddWithValue("conversation_id", conversationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new KnownStatus(reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : new KnownStatus(null, null);
    }

    private async Task<IReadOnlyDictionary<string, LastChange>> LastChangesAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT DISTINCT ON (direction) direction, applied_status, applied_version
            FROM sync.status_changes WHERE conversation_id = @conversation_id
            ORDER BY direction, change_id DESC
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        var changes = new Dictionary<string, LastChange>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes[reader.GetString(0)] = new LastChange(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
        }

        return changes;
    }

    private async Task<IReadOnlyList<StatusDelivery>> UncheckedDeliveriesAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT source, delivery_id, topic, payload, event_at FROM sync.inbox
            WHERE conversation_id = @conversation_id AND NOT status_checked
            ORDER BY received_at
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        var deliveries = new List<StatusDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var source = reader.GetString(0);
            var reported = source == "zendesk"
                ? ZendeskReportedStatus(reader.IsDBNull(3) ? [] : reader.GetFieldValue<byte[]>(3))
                : IntercomReportedState(reader.GetString(2));
            deliveries.Add(new StatusDelivery(source, reader.GetString(1), reported, reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return deliveries;
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

    private async Task RecordAsync(
        ClaimedJob job, long ticketId, string intercomState, string zendeskStatus, AppliedChange? change, IReadOnlyList<StatusDelivery> deliveries, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await JobQueue.EnsureOwnedAsync(connection, tx, job, cancellationToken);

        await using (var known = new NpgsqlCommand("""
            UPDATE sync.tickets SET intercom_state = @intercom_state, zendesk_status = @zendesk_status, status = @zendesk_status, status_synced_at = now()
            WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id
            """, connection, tx))
        {
            known.Parameters.AddWithValue("intercom_state", intercomState);
            known.Parameters.AddWithValue("zendesk_status", zendeskStatus);
            known.Parameters.AddWithValue("conversation_id", job.ConversationId);
            known.Parameters.AddWithValue("ticket_id", ticketId);
            await known.ExecuteNonQueryAsync(cancellationToken);
        }

        if (change is not null)
        {
            var fromIntercom = change.Direction == AttemptLog.IntercomToZendesk;
            await using var insert = new NpgsqlCommand("""
                INSERT INTO sync.status_changes (conversation_id, ticket_id, direction, origin_status, origin_at, applied_status, applied_version, job_id, attempt_number)
                VALUES (@conversation_id, @ticket_id, @direction, @origin_status, @origin_at, @applied_status, @applied_version, @job_id, @attempt)
                """, connection, tx);
            insert.Parameters.AddWithValue("conversation_id", job.ConversationId);
            insert.Parameters.AddWithValue("ticket_id", ticketId);
            insert.Parameters.AddWithValue("direction", change.Direction);
            insert.Parameters.AddWithValue("origin_status", fromIntercom ? change.Intercom.Status : change.Zendesk.Status);
            insert.Parameters.AddWithValue("origin_at", NpgsqlDbType.TimestampTz, (object?)(fromIntercom ? change.Intercom.ChangedAt : change.Zendesk.ChangedAt) ?? DBNull.Value);
            insert.Parameters.AddWithValue("applied_status", fromIntercom ? zendeskStatus : intercomState);
            insert.Parameters.AddWithValue("applied_version", NpgsqlDbType.TimestampTz, (object?)change.Version ?? DBNull.Value);
            insert.Parameters.AddWithValue("job_id", job.JobId);
            insert.Parameters.AddWithValue("attempt", job.Attempt);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (deliveries.Count > 0)
        {
            await using var consumed = new NpgsqlCommand("""
                UPDATE sync.inbox SET status_checked = true
                FROM unnest(@sources, @delivery_ids) AS d(source, delivery_id)
                WHERE inbox.source = d.source AND inbox.delivery_id = d.delivery_id
                """, connection, tx);
            consumed.Parameters.AddWithValue("sources", deliveries.Select(d => d.Source).ToArray());
            consumed.Parameters.AddWithValue("delivery_ids", deliveries.Select(d => d.DeliveryId).ToArray());
            await consumed.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: status {Direction}: {Reason}")]
    private static partial void LogApplied(ILogger logger, string conversationId, long ticketId, string direction, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} / ticket {TicketId}: {Vendor} delivery {DeliveryId} reported status {Status}, Ferry's own change; dropped")]
    private static partial void LogEcho(ILogger logger, string conversationId, long ticketId, string vendor, string deliveryId, string? status);
}
