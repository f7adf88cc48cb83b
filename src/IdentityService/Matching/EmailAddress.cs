using System.Globalization;
using System.Text;

namespace Ferry.IdentityService.Matching;

/// <summary>
/// The one comparable form of an address: trimmed, Unicode NFC, lower-case, domain in punycode (IDNA), so
/// that the forms an address can arrive in compare equal. Only plain addresses are accepted (dot-atom local
/// part, host-name domain): quotes, spaces and other search syntax never reach a Zendesk query.
/// </summary>
public static class EmailAddress
{
    private const string AsciiSpecials = "!#$%&'*+-/=?^_`{|}~";

    /// <summary>The normalised address, or null when <paramref name="raw"/> is blank or not an address.</summary>
    public static string? Normalize(string? raw)
    {
        var trimmed = raw?.Trim();
        if (string.IsNullOrEmpty(trimmed) || !TryNfc(trimmed, out var nfc))
        {
            return null;
        }

        var lower = nfc.ToLowerInvariant();
        var at = lower.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != lower.LastIndexOf('@') || !IsDotAtom(lower.AsSpan(0, at)))
        {
            return null;
        }

        string domain;
        try
        {
            domain = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(lower[(at + 1)..]);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var address = string.Concat(lower.AsSpan(0, at + 1), domain);
        return domain.Contains('.', StringComparison.Ordinal) && !domain.EndsWith('.') && address.Length <= 254 ? address : null;
    }

    private static bool TryNfc(string value, out string normalized)
    {
        try
        {
            normalized = value.Normalize(NormalizationForm.FormC);
            return true;
        }
        catch (ArgumentException)
        {
            // Lone surrogates and the like: not text, so not an address.
            normalized = "";
            return false;
        }
    }

    /// <summary>RFC 5322 dot-atom (plus RFC 6531's non-ASCII letters): no quotes, spaces or empty dot segments.</summary>
    private static bool IsDotAtom(ReadOnlySpan<char> local)
    {
        if (local.Length > 64 || local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in local)
        {
            var allowed = char.IsAsciiLetterOrDigit(c) || c == '.' || AsciiSpecials.Contains(c, StringComparison.Ordinal)
                || (c > 127 && (char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark));
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }
}
