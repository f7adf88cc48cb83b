using System.Net;

namespace Ferry.AttachmentService.Safety;

/// <summary>Checks a source URL (the first one and every redirect hop) before any connection is made.</summary>
/// <param name="allowedHosts">The source hosts: Intercom's for Copy, Zendesk's for Fetch.</param>
public sealed class SourcePolicy(AttachmentOptions options, IReadOnlyList<string> allowedHosts)
{
    private readonly AttachmentOptions _options = options;
    private readonly AddressPolicy _addresses = new(options.AllowLoopback);

    /// <summary>The Intercom direction: <see cref="AttachmentOptions.EffectiveAllowedHosts"/>.</summary>
    public SourcePolicy(IOptions<AttachmentOptions> options)
        : this(options.Value, options.Value.EffectiveAllowedHosts)
    {
    }

    public AddressPolicy Addresses => _addresses;

    /// <summary>Parses and checks <paramref name="url"/>; throws <see cref="AttachmentRefusedException"/> with the reason.</summary>
    public Uri Check(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new AttachmentRefusedException("refused: the URL is not an absolute URL");
        }

        Check(uri);
        return uri;
    }

    public void Check(Uri uri)
    {
        var host = uri.IdnHost;
        if (uri.Scheme != Uri.UriSchemeHttps
            && !(uri.Scheme == Uri.UriSchemeHttp && Matches(_options.AllowInsecureHttpForHosts, host)))
        {
            throw new AttachmentRefusedException($"refused: scheme '{uri.Scheme}' is not allowed (https only) for host {host}");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new AttachmentRefusedException($"refused: URLs with credentials are not allowed (host {host})");
        }

        if (!Matches(allowedHosts, host))
        {
            throw new AttachmentRefusedException($"refused: host {host} is not an allowed attachment host");
        }

        // An IP literal is checked here too, so the reason is clear before any connection; the
        // connect-time check (SafeDownloader) covers names that resolve to such addresses.
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) && _addresses.Refusal(literal) is { } kind)
        {
            throw new AttachmentRefusedException($"refused: address {literal} is {kind}");
        }
    }

    /// <summary>Exact host names (case-insensitive) or "*.domain" for the domain and its subdomains.</summary>
    public static bool Matches(IEnumerable<string> patterns, string host)
    {
        host = host.TrimEnd('.');
        foreach (var pattern in patterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var domain = pattern[2..];
                if (host.Equals(domain, StringComparison.OrdinalIgnoreCase)
                    || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            else if (host.Equals(pattern.Trim('[', ']'), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
