using System.Security.Cryptography;

// HMAC-SHA1 is what Intercom's webhook protocol specifies; it is used only to check their signature.
#pragma warning disable CA5350

namespace Ferry.Gateway.Webhooks;

/// <summary>Intercom's <c>X-Hub-Signature: sha1=&lt;hex&gt;</c>: HMAC-SHA1 of the exact raw body with the app's client secret.</summary>
public static class IntercomSignature
{
    public const string HeaderName = "X-Hub-Signature";
    private const string Prefix = "sha1=";

    public static bool IsValid(ReadOnlySpan<byte> body, string? header, ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty || string.IsNullOrEmpty(header) || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var hex = header.AsSpan(Prefix.Length).Trim();
        Span<byte> given = stackalloc byte[HMACSHA1.HashSizeInBytes];
        if (hex.Length != given.Length * 2 || Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != given.Length)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The header value a sender with <paramref name="secret"/> would send (tests, sandbox, benchmarks).</summary>
    public static string Sign(ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret) =>
        Prefix + Convert.ToHexStringLower(HMACSHA1.HashData(secret, body));
}
