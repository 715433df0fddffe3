using System.ComponentModel;
using PneuKnow.Evaluation;
using PneuKnow.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Evaluation;

/// <summary><c>pneuknow evaluate &lt;runs...&gt;</c>: metrics, spreads, bootstrap intervals and figures of run folders.</summary>
public sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : RunSelectionSettings, IFormattedOutput
    {
        [CommandOption(IFormattedOutput.Option)]
        [Description(IFormattedOutput.Help)]
        [DefaultValue(IFormattedOutput.Default)]
        public OutputFormat Format { get; init; } = IFormattedOutput.Default;

        [Description("Output folder.")]
        [CommandOption("--out")]
        [DefaultValue("results/evaluation")]
        public string Out { get; init; } = "results/evaluation";

        [Description("Bootstrap resamples per run.")]
        [CommandOption("--resamples")]
        [DefaultValue(1000)]
        public int Resamples { get; init; } = 1000;

        [Description("Bootstrap seed.")]
        [CommandOption("--seed")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        public override ValidationResult Validate()
        {
            // Checked before anything is written: a bootstrap that fails part-way would leave part of the output folder.
            if (Resamples < 2) return ValidationResult.Error($"--resamples: expected at least 2 bootstrap resamples, found {Resamples}.");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => RunSelectionSettings.Guarded(() =>
    {
        var (runs, groups) = settings.Load();
        var output = EvaluationReport.Write(groups, runs, settings.Out, settings.Resamples, settings.Seed);
        // On screen "mean ± std"; in csv/json the mean and the std as two numbers each.
        var table = new TextTable(
            new TableColumn("group", "group"), new TableColumn("runs", "runs"),
            new TableColumn("accuracy", ["accuracy_mean", "accuracy_std"]), new TableColumn("macro F1", ["macro_f1_mean", "macro_f1_std"]),
            new TableColumn("macro AUC", ["macro_auc_mean", "macro_auc_std"]));
        foreach (var g in groups)
            table.Add(g.Group, Cell.Integer(g.Runs.Count), Cell.Spread(g["accuracy"]), Cell.Spread(g["macro_f1"]), Cell.Spread(g["auc_macro"]));
        table.Write(settings.Format, [$"split: {settings.Split}; std over runs with ddof = {settings.Ddof}; macro AUC = mean of the exact per-class one-vs-rest AUCs (scikit-learn's; the authors' code averages TPR on a 1000-point FPR grid, within 3e-4 of it); {output.Files.Count} files in {settings.Out}"]);
        foreach (var w in output.Warnings) Console.Error.WriteLine($"warning: {w}");
        return 0;
    });
}
