using System.Security.Claims;
using System.Text.Encodings.Web;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Api;

/// <summary>Authenticates internal tools by the <c>x-api-key</c> header; the principal's name is the client name.</summary>
public sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = Request.Headers[HeaderName];
        if (string.IsNullOrEmpty(presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.FindClient(presented) is not { } client)
        {
            LogUnknownKey(Logger, Request.Path, Context.Connection.RemoteIpAddress?.ToString());
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, client)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        GrpcStatusResponse.WriteAsync(Response, StatusCode.Unauthenticated,
            $"A valid API key is required in the '{HeaderName}' header.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        GrpcStatusResponse.WriteAsync(Response, StatusCode.PermissionDenied, "This API key may not call this method.");

    [LoggerMessage(2001, LogLevel.Warning, "Unknown API key presented for {Path} (remote {RemoteIp})")]
    private static partial void LogUnknownKey(ILogger logger, PathString path, string? remoteIp);
}
