using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Zendesk;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.AttachmentService.Tests;

/// <summary>Helpers over the sandbox: pre-signed Intercom attachment URLs and what Zendesk received.</summary>
public static class Sandboxes
{
    private static long _nextSeed = Environment.TickCount64;

    public static SourceAttachment Attachment(this SandboxServer sandbox, string name, string contentType, long size, long? reportedSize = null)
    {
        var seed = Interlocked.Increment(ref _nextSeed);
        var attachment = new IcAttachment(name, contentType, size, seed);
        return new SourceAttachment
        {
            Url = sandbox.IntercomRenderer.AttachmentUrl(attachment, sandbox.BaseAddress.ToString().TrimEnd('/')),
            Name = name,
            ContentType = contentType,
            Size = reportedSize ?? size,
        };
    }

    /// <summary>SHA-256 of what the sandbox serves for this attachment URL.</summary>
    public static string ExpectedSha256(SourceAttachment attachment)
    {
        var segments = new Uri(attachment.Url).Segments;
        var seed = long.Parse(segments[^3].TrimEnd('/'), System.Globalization.CultureInfo.InvariantCulture);
        var size = long.Parse(segments[^2].TrimEnd('/'), System.Globalization.CultureInfo.InvariantCulture);
        return AttachmentContent.Sha256(seed, size);
    }

    public static ZdUpload Upload(this SandboxServer sandbox, string token) =>
        sandbox.Zendesk.Uploads().Single(u => u.Token == token);
}
