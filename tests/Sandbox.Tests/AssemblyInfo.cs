using Ferry.Testing;

[assembly: AssemblyFixture(typeof(SandboxServer))]
