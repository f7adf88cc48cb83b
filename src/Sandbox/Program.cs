namespace Ferry.Sandbox;

// Start-up lives in SandboxApp so tests host the same app on a loopback port. No top-level
// statements: a global Program type would clash with other services' Program in test projects
// that reference both (Ferry.Testing references the Sandbox for SandboxServer).
internal static class Program
{
    public static void Main(string[] args) => SandboxApp.Build(args).Run();
}
