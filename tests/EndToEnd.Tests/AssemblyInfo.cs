// Each test class starts the whole app model (Postgres, Redis, five services): one at a time on a
// small machine, so no class's timing windows are squeezed by another class's start-up.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
