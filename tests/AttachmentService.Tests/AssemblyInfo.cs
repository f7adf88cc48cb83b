using Ferry.Testing;

// One sandbox for the tests that do not inject faults; fault tests start their own.
[assembly: AssemblyFixture(typeof(SandboxServer))]
