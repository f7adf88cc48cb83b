using Ferry.AppHost.Infrastructure;

namespace Ferry.AppHost.Tests;

public sealed class InfrastructureModeSelectorTests
{
    [Theory]
    [InlineData(null, true, InfrastructureMode.Containers)]
    [InlineData(null, false, InfrastructureMode.LocalProcesses)]
    [InlineData("auto", true, InfrastructureMode.Containers)]
    [InlineData(" Auto ", false, InfrastructureMode.LocalProcesses)]
    [InlineData("containers", false, InfrastructureMode.Containers)]
    [InlineData("local", true, InfrastructureMode.LocalProcesses)]
    public void Setting_overrides_detection_and_auto_follows_the_engine(string? setting, bool engineAnswers, InfrastructureMode expected)
    {
        Assert.Equal(expected, InfrastructureModeSelector.Select(setting, () => engineAnswers));
    }

    [Fact]
    public void Forced_modes_do_not_probe_for_an_engine()
    {
        var probed = false;
        InfrastructureModeSelector.Select("local", () => probed = true);
        InfrastructureModeSelector.Select("containers", () => probed = true);
        Assert.False(probed);
    }

    [Fact]
    public void Unknown_setting_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => InfrastructureModeSelector.Select("kubernetes", () => true));
        Assert.Contains("Ferry:Infrastructure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_says_no_engine_when_none_runs_here()
    {
        // Our build machines have at most a docker client without an engine: auto must pick local processes.
        var engine = InfrastructureModeSelector.ProbeContainerRuntime();
        var mode = InfrastructureModeSelector.Select("auto", () => engine);
        Assert.Equal(engine ? InfrastructureMode.Containers : InfrastructureMode.LocalProcesses, mode);
    }
}
