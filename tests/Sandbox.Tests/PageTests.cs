using Ferry.Testing;
using Microsoft.Playwright;

namespace Ferry.Sandbox.Tests;

/// <summary>The sandbox page in a real headless browser (Debian's chromium driven by Playwright).</summary>
public sealed class PageTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Page_shows_tickets_with_comments_and_conversations_html_encoded()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run eng/setup.sh (it installs Debian's chromium).");
        await using var sandbox = await SandboxServer.CreateAsync();
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Zoë <Requester>", "zoe@x.example");
        var agent = sandbox.Zendesk.AddUser("Agent Smith", "smith@support.example", "agent");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new
        {
            ticket = new
            {
                requester_id = requester.Id,
                subject = "Printer on fire <script>alert(1)</script>",
                status = "open",
                comments = new object[]
                {
                    new { author_id = requester.Id, created_at = "2024-03-01T09:00:00Z", value = "It is on fire 🔥" },
                    new { author_id = agent.Id, created_at = "2024-03-01T09:05:00Z", value = "Internal: call the fire brigade", @public = false },
                },
            },
        });
        var ticketId = created["ticket"]!["id"]!.GetValue<long>();
        var conversation = sandbox.Scenarios.Seed(1)[0];

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(sandbox.BaseAddress.ToString());

        var ticket = page.Locator($"section.ticket[data-ticket-id=\"{ticketId}\"]");
        Assert.Contains("Printer on fire <script>alert(1)</script>", await ticket.Locator("h3").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("OPEN", (await ticket.Locator(".status").InnerTextAsync()).ToUpperInvariant());
        var comments = ticket.Locator(".comment");
        Assert.Equal(2, await comments.CountAsync());
        Assert.Contains("Zoë <Requester>", await comments.Nth(0).Locator(".author").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("2024-03-01 09:05:00 UTC", await comments.Nth(1).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("internal note", await comments.Nth(1).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("h3 script").CountAsync());
        Assert.Equal(1, await page.Locator($"section.conversation[data-conversation-id=\"{conversation.Id}\"]").CountAsync());
        Assert.Equal(1, await page.Locator($"#ticket-{ticketId}").CountAsync());
        Assert.Equal(1, await page.Locator($"#conversation-{conversation.Id}").CountAsync());
    }
}
