namespace Ferry.AppHost.Infrastructure;

public static class DualModeExtensions
{
    /// <summary>
    /// Sandbox mode runs both tools in dual mode (docs/DUAL.md), so the demo shows agents' Zendesk replies reaching
    /// Intercom and fields following; live mode keeps the defaults (off) until Dual:* is configured for the deployment.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDualMode(this IResourceBuilder<ProjectResource> tickets, Vendors vendors) =>
        vendors.Sandbox is null ? tickets
            : tickets.WithEnvironment("Dual__RepliesToIntercom", "public-and-notes").WithEnvironment("Dual__FieldsFollow", "true");
}
