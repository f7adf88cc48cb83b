namespace Ferry.Cli.Commands;

internal sealed class BackfillSettings : GatewaySettings
{
    [CommandOption("--since <DATE>")]
    [Description("Conversations updated at or after this date (ISO 8601).")]
    public DateTimeOffset? Since { get; init; }

    [CommandOption("--before <DATE>")]
    public DateTimeOffset? Before { get; init; }

    [CommandOption("--dry-run")]
    [Description("Select and map only: write nothing, print what the run would do (with --bulk: users, tickets, comments, bytes, Zendesk calls, duration).")]
    public bool DryRun { get; init; }

    [CommandOption("--resume <TOKEN>")]
    [Description("Continue a stopped or failed run from its checkpoint (the token it printed).")]
    public string? ResumeToken { get; init; }

    [CommandOption("--limit <N>")]
    public int Limit { get; init; }

    [CommandOption("--bulk")]
    [Description("Migrate in bulk: contacts resolved and tickets imported 100 at a time, paced to Backfill:BudgetShare (docs/MIGRATION.md).")]
    public bool Bulk { get; init; }

    [CommandOption("--state <STATE>")]
    [Description("With --bulk: only conversations in this Intercom state (open, closed, snoozed); repeatable.")]
    public string[] States { get; init; } = [];

    [CommandOption("--archive-closed")]
    [Description("With --bulk: closed conversations become closed tickets, archived at once.")]
    public bool ArchiveClosed { get; init; }


    public override ValidationResult Validate() =>
        !Bulk && (States.Length > 0 || ArchiveClosed)
            ? ValidationResult.Error("--state and --archive-closed go with --bulk.")
            : ValidationResult.Success();
}

/// <summary>
/// ferry backfill: a live progress bar (rate and ETA) or JSON lines. Exit codes: 0 finished; 1 refused
/// before anything ran (bad arguments, unknown resume token, gateway unreachable); 2 interrupted after it
/// started (stopped, failed): the resume token is printed on stderr, and --resume continues.
/// </summary>
internal sealed class BackfillCommand : AsyncCommand<BackfillSettings>
{
    public const int Finished = 0;
    public const int Refused = 1;
    public const int Interrupted = 2;

    public override async Task<int> ExecuteAsync(CommandContext context, BackfillSettings settings, CancellationToken cancellationToken)
    {
        using var channel = settings.CreateChannel();
        var client = new V1.Sync.SyncClient(channel);
        BackfillProgress? last = null;
        try
        {
            using var call = client.Backfill(Request(settings), cancellationToken: cancellationToken);
            var steps = call.ResponseStream.ReadAllAsync(cancellationToken);
            last = settings.Json ? await WriteJsonAsync(steps) : await ShowProgressAsync(steps, settings.Bulk);
            if (!settings.Json)
            {
                WriteSummary(last, settings.DryRun);
            }

            return last is { Done: false } ? Resumable(last.ResumeToken, "stopped early") : Finished;
        }
        catch (RpcException error)
        {
            // A failure after the run started stored its checkpoint: say how to continue.
            var token = last?.ResumeToken is { Length: > 0 } t ? t : settings.ResumeToken;
            GatewayCall.WriteError(error, settings);
            return last is null && token is null ? Refused : Resumable(token, "interrupted");
        }
    }

    private static BackfillRequest Request(BackfillSettings settings)
    {
        var request = new BackfillRequest
        {
            DryRun = settings.DryRun,
            ResumeToken = settings.ResumeToken ?? "",
            Limit = settings.Limit,
            Bulk = settings.Bulk,
            ArchiveClosed = settings.ArchiveClosed,
        };
        request.States.AddRange(settings.States);
        if (settings.Since is { } since)
        {
            request.UpdatedSince = Timestamp.FromDateTimeOffset(since);
        }

        if (settings.Before is { } before)
        {
            request.UpdatedBefore = Timestamp.FromDateTimeOffset(before);
        }

        return request;
    }

    private static int Resumable(string? token, string what)
    {
        Console.Error.WriteLine(string.IsNullOrEmpty(token)
            ? $"Backfill {what}; no checkpoint was stored yet: run it again."
            : $"Backfill {what}. Resume with: ferry backfill --resume {token}");
        return Interrupted;
    }

    private static async Task<BackfillProgress?> WriteJsonAsync(IAsyncEnumerable<BackfillProgress> steps)
    {
        BackfillProgress? last = null;
        await foreach (var step in steps)
        {
            last = step;
            GatewayCall.WriteJson(step);
        }

        return last;
    }

    /// <summary>Spectre's progress bar over Intercom's total for the window; the description carries the rate.</summary>
    private static async Task<BackfillProgress?> ShowProgressAsync(IAsyncEnumerable<BackfillProgress> steps, bool bulk)
    {
        BackfillProgress? last = null;
        var started = DateTimeOffset.UtcNow;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("Backfill", maxValue: 1);
                await foreach (var step in steps)
                {
                    last = step;
                    var minutes = Math.Max((DateTimeOffset.UtcNow - started).TotalMinutes, 1e-6);
                    task.MaxValue = Math.Max(step.Bulk?.Total ?? 0, Math.Max(step.Seen, 1));
                    task.Value = step.Seen;
                    task.Description = bulk
                        ? string.Create(CultureInfo.InvariantCulture, $"{step.Seen} conversations, {step.Bulk?.Tickets ?? 0} tickets, {step.Seen / minutes:0}/min")
                        : string.Create(CultureInfo.InvariantCulture, $"{step.Seen} seen, {step.Queued} queued, {step.Seen / minutes:0}/min");
                    if (step.Done)
                    {
                        task.Value = task.MaxValue;
                    }
                }
            });
        return last;
    }

    private static void WriteSummary(BackfillProgress? last, bool dryRun)
    {
        if (last is null)
        {
            AnsiConsole.MarkupLine("Nothing to backfill.");
            return;
        }

        if (last.Bulk is not { } b)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"seen {last.Seen}, queued {last.Queued}, skipped {last.Skipped}");
            return;
        }

        var table = new Table().AddColumns(dryRun ? "Would" : "Did", "Count");
        void Row(string what, long count) => table.AddRow(what, count.ToString(CultureInfo.InvariantCulture));
        Row("conversations selected", last.Seen);
        Row("tickets imported", b.Tickets);
        Row("comments", b.Comments);
        Row("users linked already", b.UsersLinked);
        Row("users matched", b.UsersMatched);
        Row("users created", b.UsersToCreate);
        Row("user conflicts (docs: ferry links)", b.UserConflicts);
        Row("attachments", b.AttachmentFiles);
        Row("attachment bytes", b.AttachmentBytes);
        Row("skipped: synced already", b.AlreadySynced);
        Row("skipped: left to live sync", b.LeftToLiveSync);
        Row("skipped: by rules", b.SkippedByRules);
        Row("skipped: no requester", b.NoRequester);
        Row("Zendesk calls", b.ZendeskCalls);
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"{(dryRun ? "Estimated duration" : "Zendesk budget used")} at the configured limit: {TimeSpan.FromSeconds(b.EstimatedSeconds):hh\\:mm\\:ss}");
        if (!string.IsNullOrEmpty(last.ResumeToken))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Run id (resume token): {last.ResumeToken}");
        }
    }
}
