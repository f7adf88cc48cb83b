namespace Ferry.Cli.Commands;

/// <summary>Runs a gRPC call and turns an RpcException into a readable message and exit code 1.</summary>
internal abstract class GatewayCommand<TSettings> : AsyncCommand<TSettings> where TSettings : GatewaySettings
{
    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        using var channel = settings.CreateChannel();
        return await GatewayCall.ExitCodeAsync(() => RunAsync(new V1.Sync.SyncClient(channel), settings, cancellationToken), settings);
    }

    protected abstract Task RunAsync(V1.Sync.SyncClient client, TSettings settings, CancellationToken cancellationToken);

    protected static void WriteAttempts(IEnumerable<Attempt> attempts)
    {
        var table = new Table().AddColumns("Started", "Conversation", "Ticket", "Direction", "Trigger", "Outcome", "Calls (writes)", "ms", "Reason");
        foreach (var a in attempts)
        {
            table.AddRow(
                Markup.Escape(a.StartedAt?.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                Markup.Escape(a.ConversationId),
                a.TicketId == 0 ? "-" : a.TicketId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(a.Origin == "ferry" ? $"{a.Direction} (echo)" : a.Direction),
                a.Trigger.ToString(),
                a.Outcome == Outcome.Failure ? $"[red]{a.Outcome}[/]" : a.Outcome.ToString(),
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{a.VendorCalls} ({a.VendorWrites})"),
                a.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(a.Reason));
        }

        AnsiConsole.Write(table);
    }

    /// <param name="dismissed">The dismissed ones: when, by whom and why they were dismissed, too.</param>
    protected static void WriteDeadJobs(IEnumerable<DeadJob> jobs, bool dismissed = false)
    {
        var table = new Table().AddColumns("Died", "Job", "Conversation", "Ticket", "Attempts", "Reason");
        if (dismissed)
        {
            table.AddColumns("Dismissed", "By", "Note");
        }

        foreach (var job in jobs)
        {
            string[] row =
            [
                Markup.Escape(Time(job.DiedAt)),
                job.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(job.ConversationId),
                job.TicketId == 0 ? "-" : job.TicketId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                job.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"[red]{Markup.Escape(job.Reason)}[/]",
            ];
            table.AddRow(dismissed ? [.. row, Markup.Escape(Time(job.DismissedAt)), Markup.Escape(job.DismissedBy), Markup.Escape(job.DismissalNote)] : row);
        }

        AnsiConsole.Write(table);
    }

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? at) =>
        at?.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "";
}

internal sealed class ConversationSettings : GatewaySettings
{
    [CommandArgument(0, "<CONVERSATION_ID>")]
    public required string ConversationId { get; init; }
}

internal sealed class SyncCommand : GatewayCommand<ConversationSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, ConversationSettings settings, CancellationToken cancellationToken)
    {
        var reply = await client.RequestSyncAsync(new RequestSyncRequest { ConversationId = settings.ConversationId }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [reply], () =>
            AnsiConsole.MarkupLineInterpolated(System.Globalization.CultureInfo.InvariantCulture, $"Queued as job [bold]{reply.JobId}[/]{(reply.Coalesced ? " (joined a pending job)" : "")}."));
    }
}

internal sealed class StatusCommand : GatewayCommand<ConversationSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, ConversationSettings settings, CancellationToken cancellationToken)
    {
        var state = await client.GetSyncAsync(new GetSyncRequest { ConversationId = settings.ConversationId }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [state], () => Show(state));
    }

    private static void Show(SyncState state)
    {
        AnsiConsole.MarkupLineInterpolated(System.Globalization.CultureInfo.InvariantCulture, $"Conversation [bold]{state.ConversationId}[/] → ticket {(state.TicketId == 0 ? "(none yet)" : state.TicketId.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        AnsiConsole.MarkupLineInterpolated(System.Globalization.CultureInfo.InvariantCulture, $"Job {state.JobId}: {state.JobState}; {state.SyncedParts} parts synced");
        if (state.Dismissed.Length > 0)
        {
            AnsiConsole.MarkupLineInterpolated(System.Globalization.CultureInfo.InvariantCulture, $"Dismissed by {state.Dismissed}");
        }

        if (state.LastAttempt is not null)
        {
            WriteAttempts([state.LastAttempt]);
        }
    }
}

internal sealed class AttemptsSettings : GatewaySettings
{
    [CommandOption("--conversation <ID>")]
    public string? ConversationId { get; init; }

    [CommandOption("--failed")]
    [Description("Only failed attempts.")]
    public bool FailedOnly { get; init; }

    [CommandOption("--dead")]
    [Description("Dead jobs waiting for an operator, with why they died (not attempts).")]
    public bool Dead { get; init; }

    [CommandOption("--dismissed")]
    [Description("With --dead: the dead jobs an operator dismissed, with who and why.")]
    public bool Dismissed { get; init; }

    [CommandOption("--limit <N>")]
    public int Limit { get; init; } = 50;

    public override ValidationResult Validate() =>
        Dead && (FailedOnly || ConversationId is not null) ? ValidationResult.Error("--dead lists jobs; it takes neither --failed nor --conversation.")
        : Dismissed && !Dead ? ValidationResult.Error("--dismissed goes with --dead.")
        : ValidationResult.Success();
}

internal sealed class AttemptsCommand : GatewayCommand<AttemptsSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, AttemptsSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Dead)
        {
            var dead = await client.ListDeadJobsAsync(new ListDeadJobsRequest { PageSize = settings.Limit, Dismissed = settings.Dismissed }, cancellationToken: cancellationToken);
            GatewayCall.WriteReply(settings.Json, dead.Jobs, () => WriteDeadJobs(dead.Jobs, settings.Dismissed));
            return;
        }

        var reply = await client.ListAttemptsAsync(new ListAttemptsRequest
        {
            ConversationId = settings.ConversationId ?? "",
            FailedOnly = settings.FailedOnly,
            PageSize = settings.Limit,
        }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, reply.Attempts, () => WriteAttempts(reply.Attempts));
    }
}

internal sealed class RetrySettings : GatewaySettings
{
    [CommandArgument(0, "[CONVERSATION_ID]")]
    public string? ConversationId { get; init; }

    [CommandOption("--job <JOB_ID>")]
    public long? JobId { get; init; }

    [CommandOption("--dead")]
    [Description("Re-queue every dead job (see attempts --dead).")]
    public bool Dead { get; init; }

    public override ValidationResult Validate() =>
        new[] { ConversationId is not null, JobId is not null, Dead }.Count(given => given) == 1
            ? ValidationResult.Success()
            : ValidationResult.Error("Give one of: a conversation id, --job or --dead.");
}

internal sealed class RetryCommand : GatewayCommand<RetrySettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, RetrySettings settings, CancellationToken cancellationToken)
    {
        var request = settings.Dead ? new RetryRequest { AllDead = true }
            : settings.JobId is { } jobId ? new RetryRequest { JobId = jobId }
            : new RetryRequest { ConversationId = settings.ConversationId };
        var reply = await client.RetryAsync(request, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [reply], () => AnsiConsole.MarkupLine(settings.Dead
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Re-queued [bold]{reply.Requeued}[/] dead job(s).")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Re-queued as job [bold]{reply.JobId}[/].")));
    }
}

internal sealed class DismissSettings : GatewaySettings
{
    [CommandArgument(0, "[CONVERSATION_ID]")]
    public string? ConversationId { get; init; }

    [CommandOption("--job <JOB_ID>")]
    public long? JobId { get; init; }

    [CommandOption("--reason <REASON>")]
    [Description("Every dead job that died for exactly this reason (as attempts --dead prints it).")]
    public string? Reason { get; init; }

    [CommandOption("--note <TEXT>")]
    [Description("Why nothing is to be done (required); kept with the job.")]
    public string? Note { get; init; }

    public override ValidationResult Validate() =>
        new[] { ConversationId is not null, JobId is not null, Reason is not null }.Count(given => given) != 1 ? ValidationResult.Error("Give one of: a conversation id, --job or --reason.")
        : string.IsNullOrWhiteSpace(Note) ? ValidationResult.Error("--note is required: say why nothing is to be done.")
        : ValidationResult.Success();
}

internal sealed class DismissCommand : GatewayCommand<DismissSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, DismissSettings settings, CancellationToken cancellationToken)
    {
        var request = new DismissRequest { Note = settings.Note };
        if (settings.JobId is { } jobId)
        {
            request.JobId = jobId;
        }
        else if (settings.Reason is { } reason)
        {
            request.DeadReason = reason;
        }
        else
        {
            request.ConversationId = settings.ConversationId;
        }

        var reply = await client.DismissAsync(request, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [reply], () =>
            AnsiConsole.MarkupLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Dismissed [bold]{reply.Dismissed}[/] dead job(s).")));
    }
}

internal sealed class WatchSettings : GatewaySettings
{
    [CommandOption("--conversation <ID>")]
    public string? ConversationId { get; init; }

    [CommandOption("--failed")]
    public bool FailedOnly { get; init; }
}

internal sealed class WatchCommand : GatewayCommand<WatchSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, WatchSettings settings, CancellationToken cancellationToken)
    {
        using var call = client.WatchSyncs(new WatchSyncsRequest { ConversationId = settings.ConversationId ?? "", FailedOnly = settings.FailedOnly }, cancellationToken: cancellationToken);
        await foreach (var attempt in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            GatewayCall.WriteReply(settings.Json, [attempt], () => WriteAttempts([attempt]));
        }
    }
}

internal sealed class ReconcileSettings : GatewaySettings
{
    [CommandOption("--dry-run")]
    [Description("Find and print only: queue nothing, record nothing.")]
    public bool DryRun { get; init; }

    [CommandOption("--deep")]
    [Description("Also read a sample of linked tickets back from Zendesk (status, comments).")]
    public bool Deep { get; init; }
}

internal sealed class ReconcileCommand : GatewayCommand<ReconcileSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, ReconcileSettings settings, CancellationToken cancellationToken)
    {
        var reply = await client.ReconcileAsync(new ReconcileRequest { DryRun = settings.DryRun, Deep = settings.Deep }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [reply], () => Show(reply, settings.DryRun));
    }

    private static void Show(ReconcileReply reply, bool dryRun)
    {
        var table = new Table().AddColumns("Kind", "Conversation", "Ticket", dryRun ? "Would queue" : "Job", "Detail");
        foreach (var f in reply.Findings)
        {
            table.AddRow(
                Markup.Escape(f.Kind),
                Markup.Escape(f.ConversationId),
                f.TicketId == 0 ? "-" : f.TicketId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                dryRun ? "yes" : f.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(f.Detail));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{reply.Findings.Count} finding(s) in {reply.ConversationsChecked} conversation(s), {reply.VendorCalls} vendor call(s){(dryRun ? "; dry run: nothing queued" : "")}."));
    }
}

internal sealed class PauseSettings : GatewaySettings
{
    [CommandOption("--reason <TEXT>")]
    [Description("Shown on the status page.")]
    public string Reason { get; init; } = "";
}

internal sealed class PauseCommand : GatewayCommand<PauseSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, PauseSettings settings, CancellationToken cancellationToken)
    {
        var reply = await client.SetPausedAsync(new SetPausedRequest { Paused = true, Reason = settings.Reason }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [reply], () =>
            AnsiConsole.MarkupLine("Syncing paused on every replica: webhooks are still recorded and queued; [bold]ferry resume[/] continues."));
    }
}

internal sealed class ResumeCommand : GatewayCommand<GatewaySettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, GatewaySettings settings, CancellationToken cancellationToken)
    {
        var reply = await client.SetPausedAsync(new SetPausedRequest { Paused = false }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [reply], () => AnsiConsole.MarkupLine("Syncing resumed."));
    }
}
