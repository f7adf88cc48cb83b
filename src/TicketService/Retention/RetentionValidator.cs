using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Retention;

/// <summary>A delivery id outlives its payload: Retention:DeliveryIds must not be shorter than Retention:Inbox.</summary>
public sealed class RetentionValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options) =>
        options.DeliveryIds >= options.Inbox
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Retention:DeliveryIds must not be shorter than Retention:Inbox (a delivery row outlives its payload).");
}
