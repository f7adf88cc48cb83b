using System.Net;
using System.Net.Sockets;

namespace Ferry.AttachmentService.Safety;

/// <summary>
/// Opens an attachment download without following anything blindly: the URL and every redirect
/// hop pass <see cref="SourcePolicy"/>, and every TCP connection goes only to addresses that pass
/// <see cref="AddressPolicy"/> at connect time (so a name that re-resolves to a private address —
/// DNS rebinding — is refused too). No proxy (it would bypass the address check), no automatic
/// decompression (bytes stay identical), no automatic redirects.
/// </summary>
public sealed class SafeDownloader : IDisposable
{
    private readonly HttpClient _client;
    private readonly SourcePolicy _policy;
    private readonly int _maxRedirects;

    public SafeDownloader(SourcePolicy policy, IOptions<AttachmentOptions> options)
    {
        _policy = policy;
        _maxRedirects = options.Value.MaxRedirects;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ConnectCallback = (context, ct) => ConnectAsync(policy.Addresses, context, ct),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// The response of the last hop with only its headers read. Throws <see cref="AttachmentRefusedException"/>
    /// for policy violations, <see cref="DownloadFailedException"/> for unusable answers.
    /// </summary>
    public async Task<HttpResponseMessage> OpenAsync(string url, CancellationToken ct)
    {
        var uri = _policy.Check(url);
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e) when (Find<AttachmentRefusedException>(e) is { } refused)
            {
                throw refused;
            }

            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= _maxRedirects)
                {
                    throw new AttachmentRefusedException($"refused: more than {_maxRedirects} redirects");
                }

                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                _policy.Check(uri);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            response.Dispose();
            // 404/410: the file is gone. 5xx, 429 and 408 may pass: retry this URL. Anything else (403
            // above all) usually means the pre-signed URL expired: the caller fetches the conversation
            // again for a fresh URL rather than retrying this one.
            if (status is 404 or 410)
            {
                throw new AttachmentRefusedException($"refused: source answered {status} {response.ReasonPhrase}", Refusal.Gone);
            }

            var transient = status >= 500 || status == 429 || status == 408;
            throw new DownloadFailedException($"source answered {status} {response.ReasonPhrase}", transient);
        }
    }

    internal static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static async ValueTask<Stream> ConnectAsync(AddressPolicy policy, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => policy.Refusal(a) is null).ToArray();
        if (allowed.Length == 0)
        {
            var refusals = string.Join(", ", addresses.Select(a => $"{a} is {policy.Refusal(a)}").Distinct());
            throw new AttachmentRefusedException($"refused: {host} resolves only to forbidden addresses ({refusals})");
        }

        // Connect to a checked address itself, never to the name again (no second resolution).
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>The source could not deliver the file now; <see cref="Transient"/> failures are retried with the same URL.</summary>
public sealed class DownloadFailedException(string reason, bool transient) : Exception(reason)
{
    public bool Transient => transient;
}
