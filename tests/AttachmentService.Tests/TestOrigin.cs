using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.AttachmentService.Tests;

/// <summary>
/// A tiny loopback file origin for the cases the sandbox does not stage (redirect chains, one drop
/// then success, bodies without Content-Length). Files are deterministic bytes, so their SHA-256 is
/// known without storing them.
/// </summary>
public sealed class TestOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _hits = new();

    private TestOrigin(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public string Base => $"http://127.0.0.1:{Port}";

    public int Hits(string key) => _hits.GetValueOrDefault(key);

    public static async Task<TestOrigin> StartAsync()
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        // No appsettings.json from the test output (it is the sandbox's, with fixed Kestrel endpoints).
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var origin = new TestOrigin(app, port);

        // /bytes/{seed}/{size}[?chunked=1]: deterministic content, with Content-Length unless chunked.
        app.MapGet("/bytes/{seed:long}/{size:long}", async (HttpContext http, long seed, long size, bool? chunked) =>
        {
            http.Response.ContentType = "application/octet-stream";
            if (chunked != true)
            {
                http.Response.ContentLength = size;
            }

            await WriteAsync(http.Response.Body, seed, 0, size, http.RequestAborted);
        });

        // /redirect?to=URL: one hop to anywhere.
        app.MapGet("/redirect", (string to) => Results.Redirect(to));

        // /drop-first/{key}/{seed}/{size}: the first request sends half the body then breaks the connection.
        app.MapGet("/drop-first/{key}/{seed:long}/{size:long}", async (HttpContext http, string key, long seed, long size) =>
        {
            var hit = origin._hits.AddOrUpdate(key, 1, (_, n) => n + 1);
            http.Response.ContentType = "application/pdf";
            http.Response.ContentLength = size;
            if (hit == 1)
            {
                await WriteAsync(http.Response.Body, seed, 0, size / 2, http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                http.Abort();
                return;
            }

            await WriteAsync(http.Response.Body, seed, 0, size, http.RequestAborted);
        });

        // /status/{code}: counts hits, answers the status.
        app.MapGet("/status/{key}/{code:int}", (string key, int code) =>
        {
            origin._hits.AddOrUpdate(key, 1, (_, n) => n + 1);
            return Results.StatusCode(code);
        });

        await app.StartAsync();
        return origin;
    }

    public static async Task WriteAsync(Stream output, long seed, long offset, long count, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        for (long done = 0; done < count;)
        {
            var n = (int)Math.Min(buffer.Length, count - done);
            Fill(seed, offset + done, buffer.AsSpan(0, n));
            await output.WriteAsync(buffer.AsMemory(0, n), ct);
            done += n;
        }
    }

    public static string Sha256(long seed, long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long done = 0; done < size;)
        {
            var n = (int)Math.Min(buffer.Length, size - done);
            Fill(seed, done, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
            done += n;
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Fill(long seed, long offset, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var p = offset + i;
            destination[i] = (byte)((p * 2654435761L) ^ (p >> 11) ^ seed);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
