using PneuKnow.Plots;
using PuppeteerSharp;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// A headless Chromium page that may load nothing from a network: every request that <c>allowed</c> does not accept is
/// aborted and recorded in <see cref="Requested"/>, so a test can assert that a figure or notebook renders offline.
/// </summary>
public sealed class OfflineBrowser : IAsyncDisposable
{
    readonly IBrowser _browser;

    /// <summary>The page.</summary>
    public IPage Page { get; }

    /// <summary>The URLs that were refused (a figure that renders offline leaves this empty).</summary>
    public List<string> Requested { get; } = [];

    OfflineBrowser(IBrowser browser, IPage page) { _browser = browser; Page = page; }

    /// <summary>Starts the Chromium that figure export uses and opens a page at <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <param name="allowed">The request URLs that may load (local files, data: URLs).</param>
    /// <param name="width">Viewport width in CSS pixels.</param>
    /// <param name="height">Viewport height in CSS pixels.</param>
    public static async Task<OfflineBrowser> OpenAsync(Func<string, bool> allowed, int width, int height)
    {
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true, ExecutablePath = FigureFile.Browser.Find(), Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync();
        var offline = new OfflineBrowser(browser, page);
        await page.SetRequestInterceptionAsync(true);
        page.Request += async (_, e) =>
        {
            if (allowed(e.Request.Url)) { await e.Request.ContinueAsync(); return; }
            offline.Requested.Add(e.Request.Url);
            await e.Request.AbortAsync();
        };
        await page.SetViewportAsync(new ViewPortOptions { Width = width, Height = height });
        return offline;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Page.DisposeAsync();
        await _browser.DisposeAsync();
    }
}
