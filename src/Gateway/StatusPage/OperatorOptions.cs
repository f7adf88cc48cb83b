using System.ComponentModel.DataAnnotations;

namespace Ferry.Gateway.StatusPage;

/// <summary>Section "Operator": who may open the status page and where its links point.</summary>
public sealed class OperatorOptions
{
    public const string Section = "Operator";

    /// <summary>Operator keys, stored as SHA-256 hashes like the API keys: <c>Operator:Keys:&lt;name&gt; = &lt;64 hex digits&gt;</c>.</summary>
    public const string KeysSection = "Operator:Keys";

    /// <summary>An Intercom conversation's page, <c>{id}</c> standing for its id; empty: no link.</summary>
    public string IntercomConversationUrl { get; set; } = "";

    /// <summary>A Zendesk ticket's page, <c>{id}</c> standing for its id (e.g. https://acme.zendesk.com/agent/tickets/{id}); empty: no link.</summary>
    public string ZendeskTicketUrl { get; set; } = "";

    [Range(2, 3600)]
    public int RefreshSeconds { get; set; } = 15;

    /// <summary>How long a browser stays signed in without using the page.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The link for <paramref name="id"/>, or null when the template is not set.</summary>
    public static Uri? Link(string template, string id) =>
        string.IsNullOrEmpty(template) ? null : new Uri(template.Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal));

    /// <summary>Only absolute http(s) templates: a link must never run script (javascript:) or leave the page's meaning.</summary>
    public static bool IsValidTemplate(string template) =>
        string.IsNullOrEmpty(template)
        || (template.Contains("{id}", StringComparison.Ordinal)
            && Uri.TryCreate(template.Replace("{id}", "1", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));
}
