using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Gateway.Webhooks;

public enum ZendeskSignatureCheck
{
    Valid,
    Missing,
    Invalid,
    StaleTimestamp,
}

/// <summary>
/// Zendesk's <c>X-Zendesk-Webhook-Signature</c> = base64(HMAC-SHA256(secret, timestamp + raw body)) with the
/// timestamp from <c>X-Zendesk-Webhook-Signature-Timestamp</c>, which must lie within a tolerance of now.
/// </summary>
public static class ZendeskSignature
{
    public const string SignatureHeader = "X-Zendesk-Webhook-Signature";
    public const string TimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp";

    public static ZendeskSignatureCheck Check(
        ReadOnlySpan<byte> body, string? signature, string? timestamp, ReadOnlySpan<byte> secret, DateTimeOffset now, TimeSpan tolerance)
    {
        if (secret.IsEmpty || string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp))
        {
            return ZendeskSignatureCheck.Missing;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(signature.Trim(), given, out var written) || written != given.Length)
        {
            return ZendeskSignatureCheck.Invalid;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(body, timestamp, secret, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return ZendeskSignatureCheck.Invalid;
        }

        // Checked after the MAC, so a forged header cannot probe the clock window.
        if (!TryParseTimestamp(timestamp, out var sentAt) || (now - sentAt).Duration() > tolerance)
        {
            return ZendeskSignatureCheck.StaleTimestamp;
        }

        return ZendeskSignatureCheck.Valid;
    }

    /// <summary>The signature header a sender with <paramref name="secret"/> would send (tests, sandbox, benchmarks).</summary>
    public static string Sign(ReadOnlySpan<byte> body, string timestamp, ReadOnlySpan<byte> secret)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(body, timestamp, secret, mac);
        return Convert.ToBase64String(mac);
    }

    /// <summary>Zendesk sends ISO 8601 (e.g. 2026-11-25T14:00:00Z); unix seconds are accepted too.</summary>
    public static bool TryParseTimestamp(string value, out DateTimeOffset timestamp)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp);
    }

    private static void Compute(ReadOnlySpan<byte> body, string timestamp, ReadOnlySpan<byte> secret, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Encoding.UTF8.GetBytes(timestamp));
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }
}
