using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.AppHost.Infrastructure;
using Ferry.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Issue 15's operator view on the real app model, in Debian's headless chromium: a permanent Zendesk refusal
/// shows up as a dead job on the status page, and its retry button (once the cause is gone) makes the ticket.
/// </summary>
[Collection(DefaultFerryApp.Name)]
public sealed class StatusPageEndToEndTests(FerryApp ferry)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_ticket_import_refused_by_Zendesk_shows_as_a_dead_job_and_its_retry_button_fixes_it()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run eng/setup.sh (it installs Debian's chromium).");
        foreach (var i in Enumerable.Range(1, 2))
        {
            var synced = await NewConversationAsync($"calm.customer{i}@customer.example", "<p>Where is my parcel?</p>");
            await ferry.WaitForTicketsAsync(synced, t => t.Count == 1, Timeout, Ct);
        }

        // Zendesk refuses every ticket import: permanent, so the job dies on its first attempt.
        await ferry.SetFaultsAsync(new { scope = "zendesk", pathContains = "/imports/tickets", errorRate = 1.0, errorStatus = 422 }, Ct);
        string refused;
        try
        {
            refused = await NewConversationAsync("refused.customer@customer.example", "<p>Please <b>refund</b> me</p>");
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            await page.GotoAsync(new Uri(ferry.App.GetEndpoint("gateway", "http"), "/operator").ToString());
            await page.FillAsync("input[name=key]", FerryApp.OperatorKey);
            await page.ClickAsync("button:has-text('Sign in')");
            // Signing in posts the form and redirects: reloading before that navigation ends finds no page.
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/operator");

            var row = page.Locator($"#dead-jobs tr[data-conversation-id=\"{refused}\"]");
            await FerryApp.EventuallyAsync(async () =>
            {
                await page.ReloadAsync();
                return await row.CountAsync();
            }, count => count == 1, Timeout, "the refused conversation's dead job on the status page", Ct);
            Assert.Contains("422", await row.Locator(".reason").InnerTextAsync(), StringComparison.Ordinal);
            Assert.StartsWith(new Uri(ferry.App.GetEndpoint("sandbox", "http"), $"/#conversation-{refused}").ToString(),
                await row.Locator("a.conversation").GetAttributeAsync("href") ?? "", StringComparison.Ordinal);
            // FERRY_STATUS_SCREENSHOT=docs/images/status-page.png refreshes the README's picture; otherwise it goes to the temp folder.
            var screenshot = Environment.GetEnvironmentVariable("FERRY_STATUS_SCREENSHOT") is { Length: > 0 } wanted
                ? Path.GetFullPath(wanted, LocalServer.RepositoryRoot)
                : Path.Combine(Path.GetTempPath(), "ferry-status-page.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

            await ferry.SetFaultsAsync(new { }, Ct);
            await row.Locator("button:has-text('Retry')").ClickAsync();
            Assert.Equal("1 job(s) queued again.", await page.Locator("#notice").InnerTextAsync());
        }
        finally
        {
            await ferry.SetFaultsAsync(new { }, Ct);
        }

        await ferry.WaitForTicketsAsync(refused, t => t.Count == 1, Timeout, Ct);

        // The dashboard's button does the same for whatever is still dead (nothing, now).
        var result = await ferry.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("tickets", OperatorCommands.RetryDead, Ct);
        Assert.True(result.Success, result.Message);
        Assert.Equal("0 dead job(s) queued again", result.Message);
    }

    private async Task<string> NewConversationAsync(string email, string body)
    {
        var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email, name = "Status Page" }, Ct);
        var conversation = await ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId = contact["id"]!.GetValue<string>(), subject = "", body }, Ct);
        return conversation["id"]!.GetValue<string>();
    }
}
