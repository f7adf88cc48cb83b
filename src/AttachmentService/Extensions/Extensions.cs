using Ferry.AttachmentService.Api;
using Ferry.AttachmentService.Copying;
using Ferry.AttachmentService.Fetching;
using Ferry.ServiceDefaults.Vendors;

namespace Ferry.AttachmentService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddFerryGrpcService<AttachmentErrorMap>();

        builder.Services.AddValidatedOptions<AttachmentOptions>(AttachmentOptions.Section);
        builder.Services.AddValidatedOptions<ZendeskOptions>(ZendeskOptions.Section);

        builder.Services.AddSingleton<AttachmentTelemetry>();
        builder.Services.AddSingleton<SourcePolicy>();
        builder.Services.AddSingleton<SafeDownloader>();
        builder.Services.AddSingleton<AttachmentCopier>();
        builder.Services.AddSingleton<ChunkUploader>();

        // Fetch reads Zendesk attachments with the same downloader, under a policy on the Zendesk hosts.
        builder.Services.AddKeyedSingleton(ZendeskFileReader.DownloaderKey, (services, _) =>
        {
            var options = services.GetRequiredService<IOptions<AttachmentOptions>>();
            var zendesk = services.GetRequiredService<IOptions<ZendeskOptions>>().Value;
            return new SafeDownloader(new SourcePolicy(options.Value, options.Value.EffectiveZendeskHosts(zendesk.BaseUrl)), options);
        });
        builder.Services.AddSingleton<ZendeskFileReader>();

        // Not AddZendeskHttpClient: the standard resilience handler's 10-second attempt timeout would
        // cut large uploads, and uploads are retried around the whole copy (AttachmentCopier), never
        // re-sent by a handler. The time cap is the per-file cancellation, hence no HttpClient.Timeout.
        var userAgent = VendorHttpClientExtensions.UserAgent(builder.Environment);
        builder.Services.AddHttpClient<ZendeskUploadClient>((services, http) =>
        {
            var zendesk = services.GetRequiredService<IOptions<ZendeskOptions>>().Value;
            http.BaseAddress = zendesk.BaseUrl;
            http.DefaultRequestHeaders.Authorization = zendesk.CreateAuthorization();
            http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
            http.Timeout = Timeout.InfiniteTimeSpan;
        })
        // The default request logging would write ?filename=… (customer data) into the logs.
        .RemoveAllLoggers()
        // Uploads draw on the Zendesk account's budget like every other Zendesk call, and wait out a 429's pause.
        // Downloads (SafeDownloader) do not: pre-signed attachment URLs are served by Intercom's file hosts,
        // not its REST API, and do not count against the API rate limit.
        .AddSharedRateBudget(VendorNames.Zendesk);
    }

    public static WebApplication MapApplicationServices(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        app.MapFerryGrpcDefaults();
        app.MapGrpcService<AttachmentsApi>();
        return app;
    }
}
