using PneuKnow.Plots;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// A test that needs a headless Chromium (PNG/SVG export, screenshots): skipped, with the reason and the fix shown in
/// the test report, only where none is installed (CI installs Debian's chromium in .ci/run, so it runs there).
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <see cref="FigureFile.Browser.Find"/> finds no browser.</summary>
    public ChromiumFactAttribute()
    {
        if (FigureFile.Browser.Find() is null) Skip = FigureFile.Browser.MissingMessage("this test");
    }
}
