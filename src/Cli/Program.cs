using Ferry.Cli.Commands;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("ferry");
    config.AddCommand<SyncCommand>("sync").WithDescription("Queue a sync of one Intercom conversation.");
    config.AddCommand<StatusCommand>("status").WithDescription("Show a conversation's ticket, job and last attempt.");
    config.AddCommand<AttemptsCommand>("attempts").WithDescription("List sync attempts, newest first (--dead: dead jobs and why).");
    config.AddCommand<RetryCommand>("retry").WithDescription("Re-queue a failed or dead sync (--dead: every dead job).");
    config.AddCommand<DismissCommand>("dismiss").WithDescription("Take dead jobs off the list without running them again (--note: why nothing is to be done).");
    config.AddCommand<BackfillCommand>("backfill").WithDescription("Queue (or with --bulk import in batches) every conversation updated in a window; progress bar, --json, --resume.");
    config.AddCommand<PhaseCommand>("phase").WithDescription("Phased migration: Intercom's new conversations per day, synced and open; says when new volume has stopped.");
    config.AddCommand<LinksCommand>("links").WithDescription("List contact ↔ Zendesk user links (--conflicts: only those waiting for a decision).");
    config.AddBranch("link", link =>
    {
        link.SetDescription("One contact's link: show it, or point it at another Zendesk user.");
        link.AddCommand<LinkShowCommand>("show").WithDescription("Show a contact's link and its conflicts.");
        link.AddCommand<LinkOverrideCommand>("override").WithDescription("Point a contact at the chosen Zendesk user (resolves its conflicts).");
    });
    config.AddCommand<WatchCommand>("watch").WithDescription("Stream attempt outcomes as they happen.");
    config.AddCommand<ReconcileCommand>("reconcile").WithDescription("Run one reconciler pass now and print its findings (--dry-run: queue nothing).");
    config.AddCommand<PauseCommand>("pause").WithDescription("Stop syncing on every replica (deliveries are still queued).");
    config.AddCommand<ResumeCommand>("resume").WithDescription("Resume syncing.");
});
return await app.RunAsync(args);
