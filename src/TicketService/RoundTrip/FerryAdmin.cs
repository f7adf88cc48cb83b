using Microsoft.Extensions.Options;

namespace Ferry.TicketService.RoundTrip;

/// <summary>Status changes need an Intercom admin to act as, and none is configured.</summary>
public sealed class StatusConfigurationException(string message) : Exception(message);

/// <summary>The Intercom admin Ferry closes and reopens conversations as: configured by id, or by email in the admin directory.</summary>
public sealed class FerryAdmin(IOptions<StatusOptions> options, IntercomAdminDirectory admins)
{
    public async Task<string> IdAsync(CancellationToken cancellationToken)
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

        var email = settings.IntercomAdminEmail.Trim();
        return (await admins.FindByEmailAsync(email, cancellationToken))?.Id
            ?? throw new StatusConfigurationException($"Status:IntercomAdminEmail names no Intercom admin of this workspace ({Redact(email)}).");
    }

    /// <summary>Enough of the address to recognise a typo without logging it whole.</summary>
    private static string Redact(string email) => email.IndexOf('@', StringComparison.Ordinal) is > 0 and var at ? $"{email[0]}…{email[at..]}" : "…";
}
