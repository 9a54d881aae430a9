using Microsoft.Playwright;

namespace MlopsExam.Tests.Infrastructure;

/// <summary>
/// Headless Chromium driven by Microsoft.Playwright, for the tests that look at a stack's pages as a person
/// would (the dashboard, Prometheus's UI). The browser is Debian's chromium (`apt-get install chromium`,
/// `make browser`), never one Playwright downloads; CHROMIUM=/path overrides it. Screenshots land in
/// .artifacts/screenshots/.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private readonly IPlaywright _playwright;

    private BrowserSession(IPlaywright playwright, IBrowser browser) => (_playwright, Browser) = (playwright, browser);

    public IBrowser Browser { get; }

    public static string ScreenshotFolder => RepoLayout.Path(".artifacts", "screenshots");

    /// <summary>Debian's chromium, or CHROMIUM; a missing browser fails with what to install.</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } configured ? configured
        : Candidates.FirstOrDefault(File.Exists)
          ?? throw new InvalidOperationException("No chromium: `make browser` (apt-get install -y chromium) or CHROMIUM=/path/to/chromium.");

    public static async Task<BrowserSession> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                // As root (CI, these machines) Chromium refuses to start with its sandbox.
                Args = ["--no-sandbox", "--disable-dev-shm-usage"],
            });
            return new BrowserSession(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh context (no cookies) and page, 1400 x 900, that ignores nothing about certificates.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>Saves what <paramref name="page"/> shows as .artifacts/screenshots/<paramref name="name"/>.png.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    /// <summary>Reloads <paramref name="url"/> until <paramref name="shows"/> holds for its text (telemetry arrives
    /// in batches, Prometheus scrapes every few seconds), or fails after <paramref name="deadline"/> with what it showed.</summary>
    public static async Task<string> WaitUntilPageShowsAsync(IPage page, string url, Func<string, bool> shows, TimeSpan deadline, string what)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var text = "";
        while (true)
        {
            await page.GotoAsync(url);
            // Blazor (the dashboard) and React (Prometheus) render after load: give them a moment to fill the page.
            try
            {
                await page.WaitForFunctionAsync("([check]) => document.body && document.body.innerText.length > 0", new object[] { 0 },
                    new PageWaitForFunctionOptions { Timeout = 10_000 });
            }
            catch (TimeoutException)
            {
            }
            for (var i = 0; i < 5; i++)
            {
                text = await page.InnerTextAsync("body");
                if (shows(text)) return text;
                await Task.Delay(1000);
            }
            if (stopwatch.Elapsed > deadline)
                throw new Xunit.Sdk.XunitException($"{url} did not show {what} within {deadline.TotalSeconds:F0} s; it showed:\n{text}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
