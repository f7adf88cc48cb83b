using Ferry.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ferry.AppHost.Infrastructure;

/// <summary>
/// The operator's buttons on the Aspire dashboard: the Sync API's retry, reconcile and pause switch on
/// TicketService (called on its own gRPC endpoint, which only the app model's network reaches), and a
/// fresh demo data set on the sandbox.
/// </summary>
public static class OperatorCommands
{
    public const string RetryDead = "ferry-retry-dead";
    public const string Reconcile = "ferry-reconcile";
    public const string Pause = "ferry-pause";
    public const string Resume = "ferry-resume";
    public const string Reseed = "ferry-reseed";

    public static IResourceBuilder<ProjectResource> WithSyncCommands(this IResourceBuilder<ProjectResource> tickets)
    {
        var grpc = tickets.GetEndpoint("grpc");
        return tickets
            .WithCommand(RetryDead, "Retry dead jobs", context => SyncAsync(grpc, context, async (sync, ct) =>
                $"{(await sync.RetryAsync(new RetryRequest { AllDead = true }, cancellationToken: ct)).Requeued} dead job(s) queued again"),
                Options("Queues every dead job that still waits for an operator again.", "ArrowRepeatAll"))
            .WithCommand(Reconcile, "Run reconciler now", context => SyncAsync(grpc, context, async (sync, ct) =>
                $"{(await sync.ReconcileAsync(new ReconcileRequest(), cancellationToken: ct)).Findings.Count} finding(s)"),
                Options("One reconciler pass: compares Intercom with Ferry's records and queues what drifted.", "ArrowSync"))
            .WithCommand(Pause, "Pause syncing", context => SyncAsync(grpc, context, async (sync, ct) =>
                (await sync.SetPausedAsync(new SetPausedRequest { Paused = true, Reason = "paused from the Aspire dashboard" }, cancellationToken: ct)).Paused ? "paused" : "not paused"),
                Options("Every replica stops claiming jobs; webhooks are still recorded and queued.", "Pause"))
            .WithCommand(Resume, "Resume syncing", context => SyncAsync(grpc, context, async (sync, ct) =>
                (await sync.SetPausedAsync(new SetPausedRequest { Paused = false }, cancellationToken: ct)).Paused ? "still paused" : "resumed"),
                Options("Every replica claims jobs again.", "Play"));
    }

    /// <summary>Empties both emulators and seeds the standard scenario (10 conversations, seed 42) again.</summary>
    public static IResourceBuilder<ProjectResource> WithReseedCommand(this IResourceBuilder<ProjectResource> sandbox)
    {
        var http = sandbox.GetEndpoint("http");
        return sandbox.WithCommand(Reseed, "Reseed sandbox", async context =>
        {
            using var client = new HttpClient { BaseAddress = new Uri(http.Url) };
            using var reset = await client.PostAsync(new Uri("/admin/reset", UriKind.Relative), null, context.CancellationToken);
            using var seed = await client.PostAsync(new Uri("/admin/scenarios/seed", UriKind.Relative), null, context.CancellationToken);
            return reset.IsSuccessStatusCode && seed.IsSuccessStatusCode
                ? CommandResults.Success()
                : CommandResults.Failure($"reset: {(int)reset.StatusCode}, seed: {(int)seed.StatusCode}");
        }, Options("Deletes every emulated ticket, user and conversation and seeds the standard scenario again.", "DatabaseArrowUp", "Empty both emulators and seed them again?"));
    }

    private static CommandOptions Options(string description, string icon, string? confirmation = null) => new()
    {
        Description = description,
        IconName = icon,
        ConfirmationMessage = confirmation,
        UpdateState = state => state.ResourceSnapshot.HealthStatus == HealthStatus.Healthy ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
    };

    private static async Task<ExecuteCommandResult> SyncAsync(EndpointReference grpc, ExecuteCommandContext context, Func<V1.Sync.SyncClient, CancellationToken, Task<string>> call)
    {
        using var channel = GrpcChannel.ForAddress(grpc.Url);
        try
        {
            return CommandResults.Success(await call(new V1.Sync.SyncClient(channel), context.CancellationToken));
        }
        catch (RpcException e)
        {
            return CommandResults.Failure($"{e.StatusCode}: {e.Status.Detail}");
        }
    }
}
