using System.Security.Cryptography;
using System.Text;
using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Common;

/// <summary>Intercom: <c>Authorization: Bearer &lt;access token&gt;</c>; the Intercom-Version header, when sent, must be a version.</summary>
public sealed class IntercomAuthFilter(SandboxOptions options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || !Secrets.Equal(header["Bearer ".Length..].Trim(), options.Intercom.AccessToken))
        {
            return VendorErrors.Intercom(401, "unauthorized", "Access Token Invalid");
        }

        var version = request.Headers["Intercom-Version"].ToString();
        if (version.Length > 0 && version != "Unstable" && !System.Text.RegularExpressions.Regex.IsMatch(version, @"^\d+\.\d+$"))
        {
            return VendorErrors.Intercom(400, "intercom_version_invalid", $"Requested Intercom-Version '{version}' is not valid.");
        }

        return await next(context);
    }
}

/// <summary>Zendesk: Basic <c>{email}/token:{api token}</c> or <c>Bearer &lt;token&gt;</c>.</summary>
public sealed class ZendeskAuthFilter(SandboxOptions options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!Authenticated(header))
        {
            return VendorErrors.Zendesk(401, "Couldn't authenticate you");
        }

        return await next(context);
    }

    private bool Authenticated(string header)
    {
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Secrets.Equal(header["Bearer ".Length..].Trim(), options.Zendesk.ApiToken);
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var marker = decoded.IndexOf("/token:", StringComparison.Ordinal);
        if (marker <= 0)
        {
            return false;
        }

        var email = decoded[..marker];
        var token = decoded[(marker + "/token:".Length)..];
        var emailOk = options.Zendesk.Email.Length == 0
            || string.Equals(email, options.Zendesk.Email, StringComparison.OrdinalIgnoreCase);
        return Secrets.Equal(token, options.Zendesk.ApiToken) & emailOk;
    }
}

public static class Secrets
{
    public static bool Equal(string presented, string expected)
    {
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b) && expected.Length > 0;
    }
}
