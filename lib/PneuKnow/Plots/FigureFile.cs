using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.ImageExport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Plots;

/// <summary>What <see cref="FigureFile.Save"/> wrote for one figure.</summary>
/// <param name="Html">The interactive page (always written).</param>
/// <param name="Png">The PNG, or null when no browser was found.</param>
/// <param name="Warning">Why the PNG is missing and how to get it, or null when it was written.</param>
public sealed record SavedFigure(string Html, string? Png, string? Warning)
{
    /// <summary>The files written, HTML first.</summary>
    public IReadOnlyList<string> Files => new[] { Html, Png }.OfType<string>().ToList();
}

/// <summary>
/// Saves figures for reading anywhere: interactive HTML that loads one shared <c>plotly.min.js</c> placed beside
/// it (offline, no CDN, no per-figure copy of the 3.6 MB library), and a PNG rendered by Plotly.NET's own image export in
/// a headless Chromium (<see cref="Browser"/>), stored losslessly compacted (<see cref="Browser.Compact"/>). No SVG: the
/// HTML is the figure's vector form, and a committed study (results/reference) keeps within its size budget.
/// </summary>
public static class FigureFile
{
    /// <summary>Name of the shared plotly.js file written beside the HTML figures (the version Plotly.NET embeds).</summary>
    public const string PlotlyJsFileName = "plotly.min.js";

    /// <summary>Pixel scale of the PNG: a figure laid out at 800 px is written 1600 px wide, ≥ 150 dpi at 10 inches.</summary>
    public const double PngScale = 2.0;

    /// <summary>Default layout size in CSS pixels (the PNG is <see cref="PngScale"/> times larger).</summary>
    public const int DefaultWidth = 800, DefaultHeight = 520;

    /// <summary>
    /// An HTML page that loads plotly.js from <paramref name="plotlyJsSource"/> (relative to the page; the default is
    /// the shared file <see cref="PlotlyJsFileName"/> written beside it by <see cref="Save"/>).
    /// </summary>
    public static string ToHtml(GenericChart chart, string plotlyJsSource = PlotlyJsFileName)
    {
        // PlotlyJSReference.CDN takes any script URL: a relative one makes the page load the shared local file.
        var options = DisplayOptions.init(null, null, null, null, null, null, new FSharpOption<PlotlyJSReference>(PlotlyJSReference.NewCDN(plotlyJsSource)));
        return GenericChart.toEmbeddedHTML(GenericChart.addDisplayOptions(options, chart));
    }

    /// <summary>A page with plotly.js inlined (for a browser that renders one figure; too large to commit many of).</summary>
    public static string ToSelfContainedHtml(GenericChart chart)
    {
        var options = DisplayOptions.init(null, null, null, null, null, null, new FSharpOption<PlotlyJSReference>(PlotlyJSReference.Full));
        return GenericChart.toEmbeddedHTML(GenericChart.addDisplayOptions(options, chart));
    }

    /// <summary>The minified plotly.js that Plotly.NET embeds (the version its charts are written for).</summary>
    public static byte[] PlotlyJs()
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"{assembly.GetName().Name}: expected an embedded resource Plotly.NET.plotly-<version>.min.js, found {string.Join(", ", assembly.GetManifestResourceNames())}.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>Writes <see cref="PlotlyJsFileName"/> into <paramref name="folder"/> unless it is already there with the same size.</summary>
    public static string EnsurePlotlyJs(string folder)
    {
        var path = Path.Combine(folder, PlotlyJsFileName);
        var js = PlotlyJs();
        if (!File.Exists(path) || new FileInfo(path).Length != js.Length)
            Runtime.AtomicFile.WriteStream(path, s => s.Write(js));
        return path;
    }

    /// <summary>Writes the HTML page (<see cref="ToHtml"/>) atomically, and the shared plotly.js beside it.</summary>
    public static void SaveHtml(GenericChart chart, string path)
    {
        EnsurePlotlyJs(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Runtime.AtomicFile.WriteAllText(path, ToHtml(chart));
    }

    /// <summary>
    /// The layout size a figure is saved at: <paramref name="width"/> and <paramref name="height"/> where given, else the
    /// chart's own layout size (a figure that sizes itself to its rows), else <see cref="DefaultWidth"/> × <see cref="DefaultHeight"/>.
    /// </summary>
    public static (int Width, int Height) LayoutSize(GenericChart chart, int? width = null, int? height = null)
    {
        var (w, h) = GenericChart.tryGetLayoutSize(chart).ToValueTuple();
        return (width ?? (FSharpOption<int>.get_IsSome(w) ? w.Value : DefaultWidth), height ?? (FSharpOption<int>.get_IsSome(h) ? h.Value : DefaultHeight));
    }

    /// <summary>
    /// Writes <c>name.html</c> (with the shared plotly.js beside it), and where a browser is found <c>name.png</c>
    /// (<paramref name="scale"/>× the layout size, default <see cref="PngScale"/>). <paramref name="htmlPath"/> must end in <c>.html</c>.
    /// The HTML is laid out at the size the PNG is exported at (<see cref="LayoutSize"/>), so the page a reader opens
    /// shows the same figure as the PNG instead of Plotly's 600 × 600 default, where long labels ran into the plot.
    /// </summary>
    /// <exception cref="ArgumentException">The path does not end in <c>.html</c>.</exception>
    /// <param name="chart">The figure.</param>
    /// <param name="htmlPath">Where the HTML goes; the PNG goes beside it.</param>
    /// <param name="width">Layout width (default: the chart's, else <see cref="DefaultWidth"/>).</param>
    /// <param name="height">Layout height (default: the chart's, else <see cref="DefaultHeight"/>).</param>
    /// <param name="scale">PNG pixels per layout pixel.</param>
    /// <param name="palette">Write the PNG with a palette of at most 256 colours (<see cref="Browser.Palette"/>) instead of
    /// lossless RGB: for a figure of pictures, whose RGB PNG is megabytes.</param>
    public static SavedFigure Save(GenericChart chart, string htmlPath, int? width = null, int? height = null, double scale = PngScale, bool palette = false)
    {
        if (!htmlPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Expected a figure path ending in .html, found '{htmlPath}'.", nameof(htmlPath));
        var (w, h) = LayoutSize(chart, width, height);
        chart = Chart.withSize(new FSharpOption<int>(w), new FSharpOption<int>(h)).Invoke(chart);
        SaveHtml(chart, htmlPath);
        var stem = htmlPath[..^".html".Length];
        if (Browser.Find() is null) return new SavedFigure(htmlPath, null, Browser.MissingMessage(htmlPath));
        var png = stem + ".png";
        var pngBytes = Browser.RenderPng(chart, w, h, scale);
        if (palette) pngBytes = Browser.Palette(pngBytes);
        Runtime.AtomicFile.WriteStream(png, s => s.Write(pngBytes));
        return new SavedFigure(htmlPath, png, null);
    }

    /// <summary>Old name of <see cref="Browser.MissingMessage"/>, kept for callers that only write HTML.</summary>
    public static string PngUnavailableWarning(string path) => Browser.MissingMessage(path);

    /// <summary>
    /// The headless Chromium that renders PNG (and, on request, SVG): <c>$PNEUKNOW_CHROMIUM</c>, else Debian's
    /// <c>/usr/bin/chromium</c> (<c>apt-get install chromium</c>) or another usual install path. Launched with
    /// <c>--no-sandbox</c> (needed as root, as on CI) and never downloaded: PuppeteerSharp's own fetcher needs a network.
    /// </summary>
    public static class Browser
    {
        /// <summary>Environment variable naming the browser executable.</summary>
        public const string EnvironmentVariable = "PNEUKNOW_CHROMIUM";

        static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium"];
        static readonly object Gate = new();
        static bool configured;

        /// <summary>The browser executable, or null when none is installed.</summary>
        public static string? Find()
        {
            var named = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(named)) return File.Exists(named) ? named : null;
            return Candidates.FirstOrDefault(File.Exists);
        }

        /// <summary>The one line shown where no browser is found: the HTML is written, this says how to get the PNG.</summary>
        public static string MissingMessage(string path) =>
            $"PNG not written for {path} (HTML written): no Chromium found at ${EnvironmentVariable} or {string.Join(", ", Candidates)}; " +
            "install one (Debian/Ubuntu: apt-get install chromium) or set $" + EnvironmentVariable + ", then rerun.";

        static string Require()
        {
            var path = Find() ?? throw new InvalidOperationException(MissingMessage("this figure"));
            lock (Gate)
            {
                if (!configured)
                {
                    PuppeteerSharpRendererOptions.localBrowserExecutablePath = new FSharpOption<string>(path);
                    var launch = PuppeteerSharpRendererOptions.launchOptions;
                    launch.Headless = true;
                    launch.Args = [.. launch.Args ?? [], "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"];
                    configured = true;
                }
            }
            return path;
        }

        // The page the browser renders inlines plotly.js: it must draw with no network.
        static GenericChart Offline(GenericChart chart) =>
            GenericChart.addDisplayOptions(DisplayOptions.init(null, null, null, null, null, null, new FSharpOption<PlotlyJSReference>(PlotlyJSReference.Full)), chart);

        /// <summary>Renders <paramref name="chart"/> as PNG bytes at <paramref name="scale"/>× the layout size (default <see cref="PngScale"/>), compacted (<see cref="Compact"/>).</summary>
        /// <exception cref="InvalidOperationException">No browser installed (<see cref="MissingMessage"/>).</exception>
        public static byte[] RenderPng(GenericChart chart, int width = DefaultWidth, int height = DefaultHeight, double scale = PngScale)
        {
            Require();
            var dataUri = ((IGenericChartRenderer)new PuppeteerSharpRenderer()).RenderPNG(width, height, scale, Offline(chart));
            return Compact(Convert.FromBase64String(dataUri[(dataUri.IndexOf(',') + 1)..]));
        }

        /// <summary>
        /// The same pixels in a smaller PNG: Chromium writes RGBA with fast compression, which the flat colours of a chart
        /// compress far better without: RGB where every pixel is opaque (a chart on its white page always is), no row
        /// filter, zlib's best level. Lossless (every pixel the same) and deterministic; about half the bytes (the quick
        /// reference's figures went from 4.0 to 2.2 MB).
        /// </summary>
        public static byte[] Compact(byte[] png)
        {
            using var image = Image.Load<Rgba32>(png);
            bool opaque = true;
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height && opaque; y++)
                    foreach (var p in rows.GetRowSpan(y))
                        if (p.A != byte.MaxValue) { opaque = false; break; }
            });
            using var stream = new MemoryStream();
            image.SaveAsPng(stream, new PngEncoder
            {
                ColorType = opaque ? PngColorType.Rgb : PngColorType.RgbWithAlpha,
                BitDepth = PngBitDepth.Bit8,
                FilterMethod = PngFilterMethod.None,
                CompressionLevel = PngCompressionLevel.BestCompression,
                // No text, time or gamma chunks: the same pixels always give the same bytes.
                IgnoreMetadata = true,
            });
            return stream.ToArray();
        }

        /// <summary>
        /// The picture as a palette PNG of at most <paramref name="colours"/> colours (Wu's quantizer, no dithering, so flat
        /// areas stay flat and compress): for figures made of pictures, such as the decision-region figure, whose tiles a
        /// lossless RGB PNG stores at several bytes a pixel. Not lossless, but at 256 colours a grey X-ray under a viridis map
        /// differs by at most a few levels per channel. Deterministic: the same pixels always give the same bytes.
        /// </summary>
        public static byte[] Palette(byte[] png, int colours = 256)
        {
            using var image = Image.Load<Rgba32>(png);
            using var stream = new MemoryStream();
            image.SaveAsPng(stream, PaletteEncoder(colours));
            return stream.ToArray();
        }

        /// <summary>The encoder of <see cref="Palette"/>: 8-bit palette, no dithering, zlib's best level, no metadata chunks.</summary>
        public static PngEncoder PaletteEncoder(int colours = 256) => new()
        {
            ColorType = PngColorType.Palette,
            BitDepth = PngBitDepth.Bit8,
            Quantizer = new SixLabors.ImageSharp.Processing.Processors.Quantization.WuQuantizer(
                new SixLabors.ImageSharp.Processing.Processors.Quantization.QuantizerOptions { MaxColors = colours, Dither = null }),
            CompressionLevel = PngCompressionLevel.BestCompression,
            IgnoreMetadata = true,
        };

        /// <summary>Renders <paramref name="chart"/> as an SVG document (not written by <see cref="Save"/>; for a vector copy on request).</summary>
        /// <exception cref="InvalidOperationException">No browser installed (<see cref="MissingMessage"/>).</exception>
        public static string RenderSvg(GenericChart chart, int width = DefaultWidth, int height = DefaultHeight)
        {
            Require();
            var svg = ((IGenericChartRenderer)new PuppeteerSharpRenderer()).RenderSVG(width, height, 1.0, Offline(chart));
            // Plotly.toImage returns a data URI; undo its percent-encoding to get the document.
            return svg.StartsWith("data:image/svg+xml,", StringComparison.Ordinal) ? Uri.UnescapeDataString(svg["data:image/svg+xml,".Length..]) : svg;
        }
    }
}
