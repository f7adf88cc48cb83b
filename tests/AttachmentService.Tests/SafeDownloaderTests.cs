using Ferry.AttachmentService.Safety;
using Microsoft.Extensions.Options;

namespace Ferry.AttachmentService.Tests;

/// <summary>Redirects and connect-time address checks against a real loopback origin.</summary>
public sealed class SafeDownloaderTests : IAsyncLifetime
{
    private TestOrigin _origin = null!;

    public async ValueTask InitializeAsync() => _origin = await TestOrigin.StartAsync();

    public async ValueTask DisposeAsync() => await _origin.DisposeAsync();

    private static SafeDownloader Downloader(Action<AttachmentOptions> configure)
    {
        var options = new AttachmentOptions();
        configure(options);
        return new SafeDownloader(new SourcePolicy(Options.Create(options)), Options.Create(options));
    }

    private static SafeDownloader LoopbackAllowed(params string[] extraHosts) => Downloader(o =>
    {
        o.AllowedHosts = ["127.0.0.1", .. extraHosts];
        o.AllowInsecureHttpForHosts = ["127.0.0.1", .. extraHosts];
        o.AllowLoopback = true;
    });

    [Fact]
    public async Task Downloads_an_allowed_file_and_follows_an_allowed_redirect()
    {
        using var downloader = LoopbackAllowed();
        var target = $"{_origin.Base}/bytes/1/1000";
        using var response = await downloader.OpenAsync($"{_origin.Base}/redirect?to={Uri.EscapeDataString(target)}", TestContext.Current.CancellationToken);
        Assert.Equal(1000, response.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local")]
    [InlineData("http://10.0.0.1/secret", "address 10.0.0.1 is private")]
    [InlineData("http://[::ffff:192.168.0.1]/secret", "is private")]
    public async Task A_redirect_to_a_private_address_is_refused(string target, string reason)
    {
        // The private hosts are even on the allow-list: the address check still refuses them.
        using var downloader = LoopbackAllowed("169.254.169.254", "10.0.0.1", "[::ffff:192.168.0.1]", "::ffff:c0a8:1");
        var refused = await Assert.ThrowsAsync<AttachmentRefusedException>(() =>
            downloader.OpenAsync($"{_origin.Base}/redirect?to={Uri.EscapeDataString(target)}", TestContext.Current.CancellationToken));
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_to_a_host_off_the_allow_list_is_refused()
    {
        using var downloader = LoopbackAllowed();
        var refused = await Assert.ThrowsAsync<AttachmentRefusedException>(() =>
            downloader.OpenAsync($"{_origin.Base}/redirect?to={Uri.EscapeDataString("https://evil.example/x")}", TestContext.Current.CancellationToken));
        Assert.Contains("host evil.example is not an allowed attachment host", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_redirects_are_refused()
    {
        using var downloader = Downloader(o =>
        {
            o.AllowedHosts = ["127.0.0.1"];
            o.AllowInsecureHttpForHosts = ["127.0.0.1"];
            o.AllowLoopback = true;
            o.MaxRedirects = 2;
        });
        var url = $"{_origin.Base}/bytes/1/10";
        for (var i = 0; i < 3; i++)
        {
            url = $"{_origin.Base}/redirect?to={Uri.EscapeDataString(url)}";
        }

        var refused = await Assert.ThrowsAsync<AttachmentRefusedException>(() => downloader.OpenAsync(url, TestContext.Current.CancellationToken));
        Assert.Contains("more than 2 redirects", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_connect_time()
    {
        // "localhost" passes the host allow-list; only the connect-time check (the one that also
        // catches DNS rebinding) stands between it and the loopback address.
        using var downloader = Downloader(o =>
        {
            o.AllowedHosts = ["localhost"];
            o.AllowInsecureHttpForHosts = ["localhost"];
        });
        var refused = await Assert.ThrowsAsync<AttachmentRefusedException>(() =>
            downloader.OpenAsync($"http://localhost:{_origin.Port}/bytes/1/10", TestContext.Current.CancellationToken));
        Assert.Contains("localhost resolves only to forbidden addresses", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("loopback", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loopback_is_refused_without_the_explicit_allowance()
    {
        using var downloader = Downloader(o =>
        {
            o.AllowedHosts = ["127.0.0.1"];
            o.AllowInsecureHttpForHosts = ["127.0.0.1"];
        });
        var refused = await Assert.ThrowsAsync<AttachmentRefusedException>(() =>
            downloader.OpenAsync($"{_origin.Base}/bytes/1/10", TestContext.Current.CancellationToken));
        Assert.Contains("address 127.0.0.1 is loopback", refused.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403, false)]
    [InlineData(503, true)]
    [InlineData(429, true)]
    public async Task Error_answers_fail_and_only_server_errors_are_retried_with_the_same_url(int status, bool transient)
    {
        using var downloader = LoopbackAllowed();
        var failed = await Assert.ThrowsAsync<DownloadFailedException>(() =>
            downloader.OpenAsync($"{_origin.Base}/status/s{status}/{status}", TestContext.Current.CancellationToken));
        Assert.Equal(transient, failed.Transient);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task A_file_the_source_no_longer_has_is_refused_as_gone(int status)
    {
        using var downloader = LoopbackAllowed();
        var refused = await Assert.ThrowsAsync<AttachmentRefusedException>(() =>
            downloader.OpenAsync($"{_origin.Base}/status/g{status}/{status}", TestContext.Current.CancellationToken));
        Assert.Equal(Refusal.Gone, refused.Kind);
    }
}
