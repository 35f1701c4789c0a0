using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace StackHooks.BrowserTests.Support;

/// <summary>
/// One browser tab on the console. Records what would show a broken page — script errors, blocked resources (a
/// Content-Security-Policy violation is logged as an error) and any JavaScript dialog (alert, confirm) — so tests can
/// assert there were none.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly List<string> errors = [];
    private readonly List<string> dialogs = [];

    public ConsolePage(IBrowserContext context, IPage page)
    {
        this.context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            // A fetch answered 4xx is logged as "Failed to load resource"; the tests cause those on purpose (403, 400).
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(error);
            }
        };
        page.Dialog += async (_, dialog) =>
        {
            lock (dialogs)
            {
                dialogs.Add($"{dialog.Type}: {dialog.Message}");
            }

            await dialog.DismissAsync();
        };
    }

    public IPage Page { get; }

    public IReadOnlyList<string> Dialogs
    {
        get
        {
            lock (dialogs)
            {
                return [.. dialogs];
            }
        }
    }

    /// <summary>Opens the console at <paramref name="hash"/> (e.g. "#/orgs/x") and signs in with the token on the sign-in page.</summary>
    public async Task SignInAsync(string token, string hash = "")
    {
        await Page.GotoAsync("/" + hash);
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to StackHooks" })).ToBeVisibleAsync();
        await Page.GetByLabel("Access token").FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to StackHooks" })).ToBeHiddenAsync();
    }

    /// <summary>The token the tab keeps in sessionStorage, or null.</summary>
    public Task<string?> StoredTokenAsync() => Page.EvaluateAsync<string?>("() => sessionStorage.getItem('stackhooks.token')");

    /// <summary>Fails when the page logged a script error or a blocked resource, or opened a dialog.</summary>
    public void AssertHealthy()
    {
        lock (errors)
        {
            Assert.True(errors.Count == 0, "The page logged errors:\n" + string.Join("\n", errors));
        }

        Assert.Empty(Dialogs);
    }

    public ValueTask DisposeAsync() => context.DisposeAsync();
}
