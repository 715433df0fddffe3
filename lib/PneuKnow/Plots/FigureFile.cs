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

/// <summary>How <see cref="FigureFile.Save"/> stores a figure's PNG.</summary>
public enum PngEncoding
{
    /// <summary>
    /// A palette PNG of at most 256 colours where it is faithful to the rendered pixels (<see cref="FigureFile.Browser.IsFaithful"/>),
    /// else lossless RGB (<see cref="FigureFile.Browser.Compact"/>): a chart's flat colours and anti-aliased text fit a
    /// palette at well under one level per channel and about 40 % of the RGB bytes; a figure that does not fit keeps every pixel.
    /// </summary>
    PaletteWhereFaithful,

    /// <summary>Always a palette PNG (<see cref="FigureFile.Browser.Palette"/>): a figure of pictures, whose RGB PNG is megabytes.</summary>
    Palette,

    /// <summary>Always lossless RGB(A) (<see cref="FigureFile.Browser.Compact"/>): every pixel as rendered.</summary>
    Lossless,
}

/// <summary>
/// Saves figures for reading anywhere: interactive HTML that loads one shared <c>plotly.min.js</c> (offline, no CDN, no
/// per-figure copy of the 3.6 MB library), and a PNG rendered by Plotly.NET's own image export in a headless Chromium
/// (<see cref="Browser"/>), stored as a palette PNG where that is faithful, else losslessly compacted (<see cref="PngEncoding"/>).
/// No SVG: the HTML is the figure's vector form, and a committed study (results/reference) keeps within its size budget.
/// <para>
/// Where the pages load plotly.js from (<see cref="PlotlyJsSourceFor"/>): a folder of figures uses the copy two folders up,
/// <c>&lt;figures&gt;/../../plotly.min.js</c>, when that file exists with the bytes Plotly.NET embeds (results/reference/
/// holds one for every committed study folder: <c>results/reference/&lt;study&gt;/figures/x.html</c> loads
/// <c>../../plotly.min.js</c>); otherwise it gets its own copy beside the pages, so any study folder, copied anywhere on
/// its own, still renders offline.
/// </para>
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

    /// <summary>The script source, relative to a page in a folder of figures, of the shared copy two folders up (<c>../../plotly.min.js</c>).</summary>
    public const string SharedPlotlyJsSource = "../../" + PlotlyJsFileName;

    /// <summary>Where the shared copy for the pages in <paramref name="figuresFolder"/> would be: <c>&lt;figuresFolder&gt;/../../plotly.min.js</c>.</summary>
    public static string SharedPlotlyJsPath(string figuresFolder) =>
        Path.GetFullPath(Path.Combine(figuresFolder, "..", "..", PlotlyJsFileName));

    /// <summary>
    /// Whether <paramref name="path"/> holds exactly the plotly.js that Plotly.NET embeds (<see cref="PlotlyJs"/>), the version
    /// the pages are written for. A copy of another version is not used: the pages then get their own.
    /// </summary>
    public static bool IsCurrentPlotlyJs(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists) return false;
        var js = PlotlyJs();
        return file.Length == js.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(js);
    }

    /// <summary>
    /// The script source the pages written into <paramref name="figuresFolder"/> load plotly.js from:
    /// <see cref="SharedPlotlyJsSource"/> where <see cref="SharedPlotlyJsPath"/> is a current copy
    /// (<see cref="IsCurrentPlotlyJs"/>), else <see cref="PlotlyJsFileName"/> (a copy beside the pages).
    /// </summary>
    public static string PlotlyJsSourceFor(string figuresFolder) =>
        IsCurrentPlotlyJs(SharedPlotlyJsPath(figuresFolder)) ? SharedPlotlyJsSource : PlotlyJsFileName;

    /// <summary>
    /// Points the pages already in <paramref name="figuresFolder"/> at the shared copy (<see cref="SharedPlotlyJsPath"/>) where one
    /// is current, as <see cref="SaveHtml"/> writes new ones: each page's <c>&lt;script src="plotly.min.js"</c> becomes
    /// <c>&lt;script src="../../plotly.min.js"</c> (nothing else in the page changes), and the folder's own copy is removed once no
    /// page loads it. For pages written before the shared copy existed, or by an older build. Returns the pages rewritten and
    /// whether the folder's copy was removed; does nothing where no current shared copy exists.
    /// </summary>
    public static (IReadOnlyList<string> Pages, bool CopyRemoved) UseSharedPlotlyJs(string figuresFolder)
    {
        var pages = new List<string>();
        if (!Directory.Exists(figuresFolder) || PlotlyJsSourceFor(figuresFolder) != SharedPlotlyJsSource) return (pages, false);
        const string local = "<script src=\"" + PlotlyJsFileName + "\"", shared = "<script src=\"" + SharedPlotlyJsSource + "\"";
        bool stillLoaded = false;
        foreach (var page in Directory.EnumerateFiles(figuresFolder, "*.html").Order(StringComparer.Ordinal))
        {
            var html = File.ReadAllText(page);
            if (!html.Contains(local, StringComparison.Ordinal)) continue;
            var rewritten = html.Replace(local, shared, StringComparison.Ordinal);
            // Any other way of loading the local copy (a hand-written page) keeps it.
            if (rewritten.Contains("\"" + PlotlyJsFileName + "\"", StringComparison.Ordinal)) { stillLoaded = true; continue; }
            Runtime.AtomicFile.WriteAllText(page, rewritten);
            pages.Add(page);
        }
        var copy = Path.Combine(figuresFolder, PlotlyJsFileName);
        bool remove = File.Exists(copy) && !stillLoaded;
        if (remove) File.Delete(copy);
        return (pages, remove);
    }

    /// <summary>
    /// Writes the HTML page (<see cref="ToHtml"/>) atomically, loading plotly.js from where <see cref="PlotlyJsSourceFor"/>
    /// says; where that is beside the page, the copy is written there too.
    /// </summary>
    public static void SaveHtml(GenericChart chart, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var source = PlotlyJsSourceFor(folder);
        if (source == PlotlyJsFileName) EnsurePlotlyJs(folder);
        Runtime.AtomicFile.WriteAllText(path, ToHtml(chart, source));
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
    /// <param name="png">How the PNG is stored (<see cref="PngEncoding"/>; by default a palette PNG where it is faithful, else lossless RGB).</param>
    public static SavedFigure Save(GenericChart chart, string htmlPath, int? width = null, int? height = null, double scale = PngScale, PngEncoding png = PngEncoding.PaletteWhereFaithful)
    {
        if (!htmlPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Expected a figure path ending in .html, found '{htmlPath}'.", nameof(htmlPath));
        var (w, h) = LayoutSize(chart, width, height);
        chart = Chart.withSize(new FSharpOption<int>(w), new FSharpOption<int>(h)).Invoke(chart);
        SaveHtml(chart, htmlPath);
        var stem = htmlPath[..^".html".Length];
        if (Browser.Find() is null) return new SavedFigure(htmlPath, null, Browser.MissingMessage(htmlPath));
        var pngPath = stem + ".png";
        var pngBytes = Browser.Encode(Browser.RenderPng(chart, w, h, scale), png);
        Runtime.AtomicFile.WriteStream(pngPath, s => s.Write(pngBytes));
        return new SavedFigure(htmlPath, pngPath, null);
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

        /// <summary>
        /// The largest mean difference, in levels per channel (0–255) over every pixel, at which a palette PNG is
        /// faithful (<see cref="IsFaithful"/>). The quick reference's charts quantize at 0.02–0.25.
        /// </summary>
        public const double FaithfulMeanError = 0.5;

        /// <summary>A pixel whose largest channel difference exceeds this many levels counts as changed by <see cref="IsFaithful"/>.</summary>
        public const int FaithfulPixelError = 16;

        /// <summary>
        /// The largest share of pixels changed by more than <see cref="FaithfulPixelError"/> levels at which a palette PNG is
        /// faithful: a few pixels of anti-aliased edges, never an area (the quick reference's charts: at most 6 in 2.9 million).
        /// </summary>
        public const double FaithfulChangedShare = 1e-4;

        /// <summary>
        /// Whether <paramref name="quantized"/> shows <paramref name="original"/> faithfully: the same size, a mean difference
        /// of at most <see cref="FaithfulMeanError"/> levels per channel (alpha included), and at most a
        /// <see cref="FaithfulChangedShare"/> of pixels changed by more than <see cref="FaithfulPixelError"/> levels in any channel.
        /// </summary>
        public static bool IsFaithful(Image<Rgba32> original, Image<Rgba32> quantized)
        {
            if (original.Width != quantized.Width || original.Height != quantized.Height) return false;
            long sum = 0, changed = 0;
            original.ProcessPixelRows(quantized, (first, second) =>
            {
                for (int y = 0; y < first.Height; y++)
                {
                    var a = first.GetRowSpan(y);
                    var b = second.GetRowSpan(y);
                    for (int x = 0; x < a.Length; x++)
                    {
                        int r = Math.Abs(a[x].R - b[x].R), g = Math.Abs(a[x].G - b[x].G), bl = Math.Abs(a[x].B - b[x].B), al = Math.Abs(a[x].A - b[x].A);
                        sum += r + g + bl + al;
                        if (Math.Max(Math.Max(r, g), Math.Max(bl, al)) > FaithfulPixelError) changed++;
                    }
                }
            });
            double pixels = (double)original.Width * original.Height;
            return sum / (4 * pixels) <= FaithfulMeanError && changed / pixels <= FaithfulChangedShare;
        }

        /// <summary>
        /// <paramref name="png"/> stored as <paramref name="encoding"/> says: for <see cref="PngEncoding.PaletteWhereFaithful"/> the
        /// palette PNG (<see cref="Palette"/>) where it <see cref="IsFaithful"/> and is smaller, else the lossless one
        /// (<see cref="Compact"/>). Deterministic: the same pixels always give the same bytes, whatever PNG they came in.
        /// </summary>
        public static byte[] Encode(byte[] png, PngEncoding encoding)
        {
            switch (encoding)
            {
                case PngEncoding.Palette: return Palette(png);
                case PngEncoding.Lossless: return Compact(png);
            }
            var lossless = Compact(png);
            var palette = Palette(png);
            if (palette.Length >= lossless.Length) return lossless;
            using var original = Image.Load<Rgba32>(png);
            using var quantized = Image.Load<Rgba32>(palette);
            return IsFaithful(original, quantized) ? palette : lossless;
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
