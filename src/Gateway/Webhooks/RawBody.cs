using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Gateway.Webhooks;

/// <summary>Reads the exact request bytes (signatures are over them) with a hard size limit.</summary>
internal static class RawBody
{
    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes (answer 413).</summary>
    /// <remarks>Pooled: a body that arrives after its headers would otherwise cost every delivery this method's state machine.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limit + 1L;
        }

        if (request.ContentLength is { } length)
        {
            // Every vendor sends a length: the body goes straight into an array of that size, the one allocation.
            // Kestrel ends the stream at Content-Length and fails a body that ends early.
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }

        using var body = new MemoryStream(capacity: 4096);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (body.Length + read > limit)
                {
                    return null;
                }

                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new ReadOnlyMemory<byte>(body.GetBuffer(), 0, (int)body.Length);
    }
}
