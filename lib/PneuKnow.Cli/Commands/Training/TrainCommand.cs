using System.ComponentModel;
using PneuKnow.Runtime;
using PneuKnow.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Training;

/// <summary><c>pneuknow train &lt;config&gt;</c>: every repeated run of an experiment, resumable.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : TorchSettings, IFormattedOutput
    {
        [CommandOption(IFormattedOutput.Option)]
        [Description(IFormattedOutput.Help)]
        [DefaultValue(IFormattedOutput.Default)]
        public OutputFormat Format { get; init; } = IFormattedOutput.Default;

        [CommandArgument(0, "<CONFIG>")]
        [Description("The authors' INI config (.txt/.ini, [[settings]] + [[model]] or [[teacher]]/[[student]]) or the JSON form (.json).")]
        public string Config { get; init; } = "";

        [CommandOption("--out <DIR>")]
        [Description("Output root; runs go to <DIR>/<experiment_name>/. Default: the config's model_dir.")]
        public string? Out { get; init; }

        [CommandOption("--no-pretrained")]
        [Description("Start from random weights instead of the locally stored ImageNet weights (e.g. phantom data).")]
        public bool NoPretrained { get; init; }

        [CommandOption("--cache <DIR>")]
        [Description("Decoded-image cache folder (default: none).")]
        public string? Cache { get; init; }

        [CommandOption("--wait")]
        [Description("When another process writes into the output folder (its lock names it), wait until it finishes instead of failing with exit 2.")]
        public bool Wait { get; init; }

        [CommandOption("--precision <PRECISION>")]
        [Description("Train every stage in this number format instead of the config's precision key: fp32, bf16-mixed or fp16-mixed (weights, Adam state and losses stay float32).")]
        public string? Precision { get; init; }

        public override ValidationResult Validate() =>
            Precision is not null && !SnakeCase.TryParse<PneuKnow.Training.Precision>(Precision, out _)
                ? ValidationResult.Error($"--precision: expected one of {string.Join(", ", SnakeCase.Names<PneuKnow.Training.Precision>())}, found '{Precision}'.")
                : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ExperimentConfig config;
        try { config = ExperimentConfig.Load(settings.Config); }
        catch (Exception e) when (e is ConfigException or UnsafeNameException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        if (settings.Precision is { } name) config = config.WithPrecision(SnakeCase.Parse<PneuKnow.Training.Precision>(name, "--precision"));
        // The experiment's folder is what this command writes; another experiment in the same --out is not in its way.
        var folder = Path.Combine(Path.GetFullPath(settings.Out ?? config.ModelDir), config.ExperimentName);
        OutputFolder.CheckOutsideData(folder, settings.Out is null ? $"{config.SourcePath ?? settings.Config}, model_dir" : "--out",
            OutputFolder.DataFolders(config.MetadataFile, config.RawDataDir, config.RoiDataDir));
        using var owned = OutputFolder.Own(folder, context, settings.Wait, cancellationToken);
        var report = TorchRuntime.Initialize(DeviceFor(settings.Device, config), settings.Threads);
        // In the script formats stdout holds the table alone.
        var o = settings.Format == OutputFormat.Table ? Console.Out : Console.Error;
        o.WriteLine($"experiment: {config.ExperimentName} ({config.Kind.ToString().ToLowerInvariant()}, {config.RepeatedRuns} run(s))");
        o.WriteLine($"device:     {report.DeviceDescription}, {report.Threads} threads");
        try
        {
            var result = TerminalProgress.Run(p => Experiment.Run(config, p,
                new ExperimentOptions(settings.Out, settings.NoPretrained ? false : null, settings.Cache), cancellationToken));
            var runs = result.Reported;
            var table = ResultTable(runs);
            // One convention everywhere: the population std (ddof = 0, numpy's np.std), as the study tables and the published numbers.
            var spread = PneuKnow.Evaluation.Spread.Of(runs.Select(r => r.BestValidAccuracy).ToArray());
            table.Write(settings.Format, [$"val acc (selected checkpoints): {spread.Mean:F4} ± {spread.Std:F4} (std, ddof = 0) over {spread.Runs} run(s)", $"folder: {result.Directory}"]);
            return 0;
        }
        catch (Exception e) when (e is TrainingException or ConfigException or PneuKnow.Data.DataException or FileNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The runs as a table: on screen rounded to 4 decimals, a dash for a missing test accuracy and "(reused)" after a
    /// reused folder; in csv/json the raw numbers (null without a test split) and the folder and reuse as separate fields.
    /// </summary>
    public static TextTable ResultTable(IReadOnlyList<TrainingResult> runs)
    {
        var table = new TextTable(
            new TableColumn("run", "run"), new TableColumn("best epoch", "best_epoch"), new TableColumn("val loss", "val_loss"),
            new TableColumn("val acc", "val_acc"), new TableColumn("test acc", "test_acc"), new TableColumn("folder", ["folder", "reused"]));
        for (int k = 0; k < runs.Count; k++)
        {
            var r = runs[k];
            table.Add(Cell.Integer(k), Cell.Integer(r.BestEpoch), Cell.Number(r.BestValidLoss, "F4"), Cell.Number(r.BestValidAccuracy, "F4"),
                r.TestAccuracy is { } t ? Cell.Number(t, "F4") : Cell.Of("-", [null]),
                Cell.Of(r.Directory + (r.Reused ? " (reused)" : ""), r.Directory, r.Reused));
        }
        return table;
    }

    /// <summary>
    /// --device wins when given; otherwise the authors' <c>cuda</c> key picks the GPU when CUDA is
    /// available and the CPU when it is not, as their <c>torch.device(f"cuda:{cuda}" if available else "cpu")</c> does.
    /// </summary>
    static string DeviceFor(string option, ExperimentConfig config)
    {
        if (!string.Equals(option, "auto", StringComparison.OrdinalIgnoreCase)) return option;
        var probe = TorchRuntime.Initialize("auto");
        return probe.Device.StartsWith("cuda", StringComparison.Ordinal) ? $"cuda:{config.Cuda}" : "cpu";
    }
}
