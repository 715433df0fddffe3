using System.ComponentModel;
using PneuKnow.Study;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>
/// <c>pneuknow report &lt;STUDY&gt;</c>: rewrites the tables and figures of a finished study folder from its runs' saved
/// predictions and logs, without training and without rescoring the claims (their <c>tables/claims.csv</c> is read, and
/// its forest plot drawn). For a figure change to reach a study that took hours to run.
/// </summary>
public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<STUDY>")]
        [Description("A study folder written by `reproduce` or `merge` (it holds study.json and runs/).")]
        public string Study { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        try
        {
            var evaluation = StudyReport.Evaluate(s.Study);
            // The decision-region pictures load the checkpoints a study folder still keeps, which needs torch.
            PneuKnow.Runtime.TorchRuntime.Initialize();
            var files = StudyReport.Write(evaluation);
            Console.Out.WriteLine($"tables and figures: {files.Count} files under {Path.GetFullPath(s.Study)}");
            if (!File.Exists(Path.Combine(s.Study, "tables", StudyClaims.FileStem + ".csv")))
                Console.Out.WriteLine($"claims: no tables/{StudyClaims.FileStem}.csv (reproduce and merge score them), so no forest plot");
            Console.Out.WriteLine();
            Console.Out.WriteLine(evaluation.Headline());
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or PneuKnow.Data.DataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
