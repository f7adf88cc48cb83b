using System.Globalization;
using Grpc.Core;

namespace Ferry.Gateway.Api;

/// <summary>
/// A gRPC "trailers-only" answer written by middleware (HTTP 200, grpc-status in the headers), which gRPC
/// clients read as the given status instead of a transport error.
/// </summary>
internal static class GrpcStatusResponse
{
    public static Task WriteAsync(HttpResponse response, StatusCode status, string message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
    }
}
