using Ferry.Gateway.Webhooks;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Extensions;

/// <summary>Section "Gateway:Webhooks": the limits and deadlines of the intake must be positive.</summary>
public sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options) =>
        options.MaxBodyBytes > 0 && options.ZendeskTimestampTolerance > TimeSpan.Zero && options.EnqueueTimeout > TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{WebhookOptions.Section}: MaxBodyBytes, ZendeskTimestampTolerance and EnqueueTimeout must be positive.");
}
