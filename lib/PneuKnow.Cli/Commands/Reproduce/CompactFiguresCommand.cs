using System.ComponentModel;
using PneuKnow.Study;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>
/// <c>pneuknow compact-figures &lt;STUDY&gt;</c>: brings a study folder's figures to the form the report now writes without
/// drawing them again (<see cref="StudyReport.CompactFigures"/>): the pages load the shared <c>plotly.min.js</c> two folders
/// up where one is current (results/reference/plotly.min.js for a committed study) and the folder's own copy goes; RGB PNGs
/// become palette PNGs where the palette is faithful. No run is read and no table changes; the step before committing a
/// study folder that an earlier build wrote (docs/figures.md).
/// </summary>
public sealed class CompactFiguresCommand : Command<CompactFiguresCommand.Settings>
{
    /// <summary>A study folder holding figures/.</summary>
    public sealed class Settings : StudyFolderSettings
    {
        /// <inheritdoc />
        protected override string Holds => "figures";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        try
        {
            using var owned = OutputFolder.Own(s.Study, context, wait: false, cancellationToken);
            var shared = PneuKnow.Plots.FigureFile.SharedPlotlyJsPath(Path.Combine(s.Study, "figures"));
            var done = StudyReport.CompactFigures(s.Study);
            Console.Out.WriteLine(done.Pages.Count > 0 || done.PlotlyJsRemoved
                ? $"plotly.js: {done.Pages.Count} page(s) now load {shared}{(done.PlotlyJsRemoved ? "; the folder's own copy removed" : "")}"
                : PneuKnow.Plots.FigureFile.IsCurrentPlotlyJs(shared)
                    ? $"plotly.js: every page already loads {shared}"
                    : $"plotly.js: no current shared copy at {shared}, so the pages keep the folder's own");
            Console.Out.WriteLine($"PNG: {done.Pngs.Count} written as palette PNGs");
            Console.Out.WriteLine($"figures/: {done.BytesBefore:N0} → {done.BytesAfter:N0} bytes");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SixLabors.ImageSharp.ImageFormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
