using Microsoft.FSharp.Core;
using Plotly.NET;

namespace PneuKnow.Plots;

/// <summary>Saves figures for offline viewing.</summary>
public static class FigureFile
{
    /// <summary>
    /// A self-contained HTML page: plotly.js itself is embedded (<see cref="PlotlyJSReference.Full"/>), so the
    /// file opens without a network, unlike notebook output which loads plotly.js from a CDN.
    /// </summary>
    public static string ToSelfContainedHtml(GenericChart chart)
    {
        // DisplayOptions.init's parameters are F# options; null is None.
        var options = DisplayOptions.init(null, null, null, null, null, null, new FSharpOption<PlotlyJSReference>(PlotlyJSReference.Full));
        return GenericChart.toEmbeddedHTML(GenericChart.addDisplayOptions(options, chart));
    }

    /// <summary>Writes <see cref="ToSelfContainedHtml"/> to <paramref name="path"/> atomically.</summary>
    public static void SaveHtml(GenericChart chart, string path)
    {
        Runtime.AtomicFile.WriteAllText(path, ToSelfContainedHtml(chart));
    }

    /// <summary>
    /// PNG export is not available in this build: it needs Plotly.NET.ImageExport and a headless Chromium
    /// (Debian's <c>/usr/bin/chromium</c>), neither of which the engine references. Returns the warning to show.
    /// </summary>
    public static string PngUnavailableWarning(string path) =>
        $"PNG not written for {path}: PNG export needs Plotly.NET.ImageExport and a Chromium (e.g. /usr/bin/chromium), which this build does not use; the HTML beside it is self-contained.";
}
