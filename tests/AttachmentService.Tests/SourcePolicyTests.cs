using Ferry.AttachmentService.Copying;
using Ferry.AttachmentService.Safety;
using Microsoft.Extensions.Options;

namespace Ferry.AttachmentService.Tests;

public sealed class SourcePolicyTests
{
    private static SourcePolicy Policy(Action<AttachmentOptions>? configure = null)
    {
        var options = new AttachmentOptions();
        configure?.Invoke(options);
        return new SourcePolicy(Options.Create(options));
    }

    [Theory]
    [InlineData("https://downloads.intercomcdn.com/i/o/1/abc/file.pdf?expires=1&signature=x")]
    [InlineData("https://downloads.intercomcdn.eu/i/o/1/file.png")]
    [InlineData("https://downloads.au.intercomcdn.com/i/o/1/file.png")]
    [InlineData("https://DOWNLOADS.INTERCOMCDN.COM/i/o/1/file.png")]
    [InlineData("https://intercom-attachments-1.com/file.png")]
    [InlineData("https://eu.intercom-attachments-7.com/file.png")]
    public void Default_hosts_are_Intercom_attachment_hosts_over_https(string url)
    {
        Policy().Check(url);
    }

    [Theory]
    [InlineData("http://downloads.intercomcdn.com/i/o/1/file.png", "scheme 'http' is not allowed")]
    [InlineData("ftp://downloads.intercomcdn.com/file.png", "scheme 'ftp' is not allowed")]
    [InlineData("file:///etc/passwd", "scheme 'file' is not allowed")]
    [InlineData("https://evil.example/file.png", "host evil.example is not an allowed attachment host")]
    [InlineData("https://downloads.intercomcdn.com.evil.example/file.png", "is not an allowed attachment host")]
    [InlineData("https://notintercomcdn.com/file.png", "is not an allowed attachment host")]
    [InlineData("https://user:pw@downloads.intercomcdn.com/file.png", "credentials")]
    [InlineData("https://169.254.169.254/latest/meta-data", "not an allowed attachment host")]
    [InlineData("not a url", "not an absolute URL")]
    public void Refuses_other_schemes_hosts_and_urls(string url, string reason)
    {
        var refused = Assert.Throws<AttachmentRefusedException>(() => Policy().Check(url));
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_only_for_hosts_configured_for_it()
    {
        var policy = Policy(o =>
        {
            o.AllowedHosts = ["127.0.0.1", "files.example"];
            o.AllowInsecureHttpForHosts = ["127.0.0.1"];
            o.AllowLoopback = true;
        });

        policy.Check("http://127.0.0.1:5000/intercom-attachments/1/2/a.txt");
        Assert.Throws<AttachmentRefusedException>(() => policy.Check("http://files.example/a.txt"));
        policy.Check("https://files.example/a.txt");
        // Configured hosts replace the defaults.
        Assert.Throws<AttachmentRefusedException>(() => policy.Check("https://downloads.intercomcdn.com/a.txt"));
    }

    [Theory]
    [InlineData("https://10.0.0.5/a.txt", "address 10.0.0.5 is private")]
    [InlineData("https://127.0.0.1/a.txt", "address 127.0.0.1 is loopback")]
    [InlineData("https://[::ffff:169.254.169.254]/a.txt", "is link-local")]
    public void An_allowed_ip_literal_is_still_checked_as_an_address(string url, string reason)
    {
        var policy = Policy(o => o.AllowedHosts = ["10.0.0.5", "127.0.0.1", "[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe"]);
        var refused = Assert.Throws<AttachmentRefusedException>(() => policy.Check(url));
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("report.pdf", "https://x/y/z.bin", "report.pdf")]
    [InlineData("", "https://x/y/photo%20one.png?sig=1", "photo one.png")]
    [InlineData("../../etc/passwd", "https://x/", ".._.._etc_passwd")]
    [InlineData("", "https://x/", "attachment")]
    public void File_names_come_from_the_source_never_as_paths(string name, string url, string expected)
    {
        Assert.Equal(expected, AttachmentCopier.FileName(new SourceFile(url, name, null, 0)));
    }
}
