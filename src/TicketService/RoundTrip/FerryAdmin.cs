using Microsoft.Extensions.Options;

namespace Ferry.TicketService.RoundTrip;

/// <summary>Status changes need an Intercom admin to act as, and none is configured.</summary>
public sealed class StatusConfigurationException(string message) : Exception(message);

/// <summary>The Intercom admin Ferry closes and reopens conversations as: configured by id, or by email and looked up once.</summary>
public sealed class FerryAdmin(IOptions<StatusOptions> options)
{
    private Task<string>? _byEmail;

    public async Task<string> IdAsync(IntercomClient intercom, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.IntercomAdminId))
        {
            return settings.IntercomAdminId.Trim();
        }

        if (string.IsNullOrWhiteSpace(settings.IntercomAdminEmail))
        {
            throw new StatusConfigurationException(
                "Zendesk changed the ticket's status, but no Intercom admin is configured to apply it: set Status:IntercomAdminId or Status:IntercomAdminEmail.");
        }

        // Looked up once per process; a failed lookup is forgotten so the next attempt tries again.
        var lookup = _byEmail ??= LookUpAsync(intercom, settings.IntercomAdminEmail.Trim());
        try
        {
            return await lookup.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _ = Interlocked.CompareExchange(ref _byEmail, null, lookup);
            throw;
        }
    }

    private static async Task<string> LookUpAsync(IntercomClient intercom, string email)
    {
        var admin = (await intercom.ListAdminsAsync(CancellationToken.None)).FirstOrDefault(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase))
            ?? throw new StatusConfigurationException($"Status:IntercomAdminEmail names no Intercom admin of this workspace ({Redact(email)}).");
        return admin.Id;
    }

    /// <summary>Enough of the address to recognise a typo without logging it whole.</summary>
    private static string Redact(string email) => email.IndexOf('@', StringComparison.Ordinal) is > 0 and var at ? $"{email[0]}…{email[at..]}" : "…";
}
