using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(StackHooks.BrowserTests.Support.Chromium))]

namespace StackHooks.BrowserTests.Support;

/// <summary>
/// Debian's Chromium, driven by Playwright for .NET: one browser for the whole test run, a fresh context (its own
/// sessionStorage) per test. Never <c>playwright install</c>: it downloads browsers, and these machines have Chromium.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? playwright;
    private IBrowser? browser;

    public IBrowser Browser => browser ?? throw new InvalidOperationException("The browser is not running.");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {ExecutablePath}, so the console's browser tests cannot run. Run ./test.sh, which installs it "
                + "(apt-get install -y chromium). Do not run `playwright install`.");
        }

        // Auto-waiting assertions poll until this deadline: generous, for a busy two-core machine.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A new tab in a new browser context (nothing shared with other tests), at laptop size unless told.</summary>
    public async Task<ConsolePage> OpenAsync(Uri baseAddress, int width = 1280, int height = 860)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new() { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        return new ConsolePage(context, await context.NewPageAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
    }
}
