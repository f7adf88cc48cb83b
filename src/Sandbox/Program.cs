using Ferry.Sandbox;

// Start-up lives in SandboxApp so tests can host the same app on a loopback port.
var app = SandboxApp.Build(args);
app.Run();
