using Ferry.TicketService.Api;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Dual;
using Ferry.TicketService.Migration;
using Ferry.TicketService.Operations;
using Ferry.TicketService.Queue;
using Ferry.TicketService.Reconcile;
using Ferry.TicketService.Retention;
using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Rules;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Telemetry;
using Ferry.TicketService.Vendors;
using Ferry.V1;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddFerryGrpcService<TicketErrorMap>();
        builder.AddFerryDatabase("ferry", "sync", typeof(Extensions).Assembly);

        builder.Services.AddValidatedOptions<QueueOptions>(QueueOptions.Section);
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<CommitAnnouncements>();
        builder.Services.AddSingleton<InboxWriter>();
        builder.Services.AddSingleton<SyncStore>();
        builder.Services.AddSingleton<AttemptLog>();
        builder.Services.AddSingleton<StatusReport>();
        builder.Services.AddSingleton<OperatorStatus>();
        builder.Services.AddSingleton<AttemptFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AttemptFeed>());
        builder.Services.AddSingleton<Backfill>();
        builder.Services.AddValidatedOptions<BackfillOptions>(BackfillOptions.Section);
        builder.Services.AddSingleton<BackfillStore>();
        builder.Services.AddTransient<BulkBatch>();
        builder.Services.AddTransient<BulkBackfill>();
        builder.Services.AddTransient<PhaseReporter>();
        builder.Services.AddTransient<PendingBulkImports>();
        // Stopping waits for in-flight attempts to drain (Queue:DrainTimeout) and record what they did.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<QueueOptions>>((host, queue) =>
            host.ShutdownTimeout = queue.Value.DrainTimeout + TimeSpan.FromSeconds(5));

        builder.Services.AddValidatedOptions<SyncOptions>(SyncOptions.Section);
        builder.Services.AddValidatedOptions<StatusOptions>(StatusOptions.Section);
        builder.Services.AddSingleton<IntercomAdminDirectory>();
        builder.Services.AddSingleton<FerryAdmin>();
        builder.Services.AddSingleton<ZendeskApiUser>();
        builder.Services.AddTransient<StatusSync>();
        builder.Services.AddValidatedOptions<RulesOptions, RulesValidator>(RulesOptions.Section);
        builder.Services.AddSingleton<RuleEngine>();
        builder.Services.AddSingleton<TicketTelemetry>();
        builder.Services.AddTransient<UnaccountedComments>();
        builder.Services.AddTransient<AttachmentNoteWriter>();
        builder.Services.AddTransient<CommentBuilder>();
        builder.Services.AddTransient<TicketContents>();
        builder.Services.AddTransient<TicketTarget>();
        builder.Services.AddTransient<CommentAppender>();
        builder.Services.AddValidatedOptions<DualOptions>(DualOptions.Section);
        builder.Services.AddSingleton<DualLedger>();
        builder.Services.AddTransient<ZendeskReplies>();
        builder.Services.AddTransient<ZendeskAttachments>();
        builder.Services.AddTransient<FieldsFollow>();
        builder.Services.AddTransient<ConversationSync>();
        builder.Services.AddTransient<IJobHandler, SyncJobHandler>();
        builder.Services.AddHostedService<JobWorker>();
        builder.Services.AddSingleton<HealthReadings>();
        builder.Services.AddHostedService<QueueSampler>();

        // Self-healing: finds what webhooks never told (docs/RECONCILE.md) and only ever enqueues.
        builder.Services.AddValidatedOptions<ReconcileOptions>(ReconcileOptions.Section);
        builder.Services.AddSingleton<ReconcileStore>();
        builder.Services.AddSingleton<ReconcileBudget>();
        builder.Services.AddTransient<Reconciler>();
        builder.Services.AddHostedService<ReconcilerService>();

        builder.Services.AddValidatedOptions<RetentionOptions, RetentionValidator>(RetentionOptions.Section);
        builder.Services.AddSingleton<RetentionStore>();
        builder.Services.AddHostedService<RetentionService>();

        // Both clients carry the shared rate budget (AddIntercomHttpClient / AddZendeskHttpClient).
        builder.Services.AddTransient<VendorCalls.CountingHandler>();
        builder.AddIntercomHttpClient<IntercomClient>()
            .AddHttpMessageHandler<VendorCalls.CountingHandler>();
        builder.AddZendeskHttpClient<ZendeskTicketsClient>()
            .AddHttpMessageHandler<VendorCalls.CountingHandler>();
        builder.AddZendeskHttpClient<ZendeskAccountClient>()
            .AddHttpMessageHandler<VendorCalls.CountingHandler>();
        builder.Services.AddGrpcServiceClient<Identity.IdentityClient>("identity");
        // Fetch answers with a whole file (dual mode, up to Dual:MaxAttachmentBytes): room for it over gRPC's 4 MB default.
        builder.Services.AddGrpcServiceClient<Attachments.AttachmentsClient>("attachments")
            .ConfigureChannel((services, channel) =>
                channel.MaxReceiveMessageSize = (int)(services.GetRequiredService<IOptions<DualOptions>>().Value.MaxAttachmentBytes + (64 * 1024)));
    }

    public static WebApplication MapApplicationServices(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        app.MapFerryGrpcDefaults();
        app.MapGrpcService<SyncApi>();
        app.MapGrpcService<SyncInboxApi>();
        return app;
    }
}
