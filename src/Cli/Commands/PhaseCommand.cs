namespace Ferry.Cli.Commands;

internal sealed class PhaseSettings : GatewaySettings
{
    [CommandOption("--days <N>")]
    [Description("Days reported, today (UTC) included (default 30, at most 366).")]
    public int Days { get; init; }

    [CommandOption("--quiet-days <N>")]
    [Description("Days in a row without a new Intercom conversation that make Intercom retirable (default 14).")]
    public int QuietDays { get; init; }
}

/// <summary>ferry phase: the phased-migration report, per day, and whether Intercom's new-conversation volume has stopped.</summary>
internal sealed class PhaseCommand : GatewayCommand<PhaseSettings>
{
    protected override async Task RunAsync(V1.Sync.SyncClient client, PhaseSettings settings, CancellationToken cancellationToken)
    {
        var report = await client.GetPhaseReportAsync(new PhaseReportRequest { Days = settings.Days, QuietDays = settings.QuietDays }, cancellationToken: cancellationToken);
        GatewayCall.WriteReply(settings.Json, [report], () => Show(report));
    }

    private static void Show(PhaseReport report)
    {
        var table = new Table().AddColumns("Day (UTC)", "New in Intercom", "With their ticket", "Imported in bulk", "Synced live", "Still open");
        foreach (var day in report.Days)
        {
            table.AddRow([day.Date, .. new[] { day.Created, day.Synced, day.Imported, day.SyncedLive, day.StillOpen }.Select(n => n.ToString(CultureInfo.InvariantCulture))]);
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(report.IntercomQuiet
            ? $"[green]No new Intercom conversation for {report.QuietDays} day(s), since {report.QuietSince}[/]: Intercom can be retired once the open ones are closed."
            : $"New conversations still arrive in Intercom ({report.QuietDays} quiet day(s) up to today).");
    }
}
