using Microsoft.Extensions.Options;

namespace Ferry.Gateway.StatusPage;

/// <summary>The link templates of section "Operator" must lead somewhere: absolute http(s) URLs with an {id}.</summary>
public sealed class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options) =>
        OperatorOptions.IsValidTemplate(options.IntercomConversationUrl) && OperatorOptions.IsValidTemplate(options.ZendeskTicketUrl)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{OperatorOptions.Section}: IntercomConversationUrl and ZendeskTicketUrl must be absolute http(s) URLs containing {{id}}.");
}
