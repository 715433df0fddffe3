using System.ComponentModel;
using System.Diagnostics;
using PneuKnow.Notebooks;
using PneuKnow.Runtime;
using PneuKnow.Study;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary><c>pneuknow reproduce</c>: the whole study in one command.</summary>
public sealed class ReproduceCommand : AsyncCommand<ReproduceCommand.Settings>
{
    public sealed class Settings : TorchSettings
    {
        [CommandOption("--preset <PRESET>")]
        [Description("smoke (CI, minutes), quick (2-core CPU, ~20 min), paper (the published recipe, GPU).")]
        [DefaultValue("quick")]
        public string Preset { get; init; } = "quick";

        [CommandOption("--backbones <LIST>")]
        [Description("Comma-separated backbones instead of the preset's.")]
        public string? Backbones { get; init; }

        [CommandOption("--runs <N>")]
        [Description("Repeated runs instead of the preset's.")]
        public int? Runs { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Study folder (default: results/<preset>).")]
        public string? Out { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Where phantom datasets are generated and reused.")]
        [DefaultValue("data/generated")]
        public string Data { get; init; } = "data/generated";

        [CommandOption("--shard <I/N>")]
        [Description("Run only shard i of n (0 <= i < n); combine shards with `pneuknow merge`.")]
        public string? Shard { get; init; }

        [CommandOption("--notebooks <DIR>")]
        [Description("Notebooks to execute against the finished study (default: notebooks/ when it exists).")]
        public string? Notebooks { get; init; }

        [CommandOption("--no-notebooks")]
        [Description("Do not execute the notebooks.")]
        public bool NoNotebooks { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        StudyPreset preset;
        ShardSpec shard;
        try
        {
            preset = StudyPreset.Get(s.Preset);
            shard = s.Shard is null ? ShardSpec.All : ShardSpec.Parse(s.Shard);
            preset = StudyRunner.Restrict(preset, s.Backbones?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), s.Runs);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        var outDir = Path.GetFullPath(s.Out ?? Path.Combine("results", preset.Name));
        var sw = Stopwatch.StartNew();
        var report = TorchRuntime.Initialize(s.Device, s.Threads);
        var o = Console.Out;
        o.WriteLine($"preset:  {preset.Name}: {string.Join(", ", preset.Backbones)} × [{string.Join(", ", preset.Variants.Select(v => v.Name))}] × {preset.Runs} run(s), {preset.Resolution} px, {preset.Epochs} epochs; shard {shard}");
        o.WriteLine($"device:  {report.DeviceDescription}, {report.Threads} threads");
        o.WriteLine($"output:  {outDir}");

        StudyResult result;
        try
        {
            result = TerminalProgress.Run(p => StudyRunner.Run(preset, new StudyOptions(outDir, s.Data, shard), p, cancellationToken));
        }
        catch (Exception e) when (e is PneuKnow.Training.TrainingException or PneuKnow.Training.ConfigException or PneuKnow.Data.DataException or FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        o.WriteLine($"trained: {result.Experiments.Count} experiment(s) in {result.Elapsed.TotalMinutes:F1} min");
        if (shard.Count > 1)
        {
            o.WriteLine($"shard {shard} done; combine all shards with: pneuknow merge <shard folders...> --out <dir>");
            return 0;
        }

        var evaluation = StudyReport.Evaluate(outDir);
        var files = StudyReport.Write(evaluation);
        o.WriteLine($"tables and figures: {files.Count} files under {outDir}");

        if (!s.NoNotebooks)
        {
            var folder = s.Notebooks ?? "notebooks";
            if (!Directory.Exists(folder))
            {
                if (s.Notebooks is not null) { Console.Error.WriteLine($"error: --notebooks: folder {folder} not found."); return 2; }
                o.WriteLine($"notebooks: skipped ({Path.GetFullPath(folder)} not found; run from the repository root or pass --notebooks)");
            }
            else if (await RunNotebooks(folder, preset.Name, outDir, s.Data, cancellationToken) is var failed && failed > 0)
                return 1;
        }

        o.WriteLine();
        o.WriteLine(evaluation.Headline());
        o.WriteLine($"total: {sw.Elapsed.TotalMinutes:F1} min on {report.DeviceDescription}");
        return 0;
    }

    /// <summary>Executes every notebook against the finished study; notebooks reuse its runs instead of training.</summary>
    static async Task<int> RunNotebooks(string folder, string preset, string studyDir, string dataRoot, CancellationToken cancel)
    {
        var output = Path.Combine(studyDir, "notebooks");
        int failed = 0;
        foreach (var notebook in Directory.GetFiles(folder, "*.ipynb").OrderBy(f => f, StringComparer.Ordinal))
        {
            var declared = NotebookRunner.DeclaredParameters(notebook);
            var parameters = new Dictionary<string, string> { ["preset"] = preset };
            if (declared.Contains("results")) parameters["results"] = studyDir;
            if (declared.Contains("data")) parameters["data"] = Path.GetFullPath(dataRoot);
            var result = await NotebookRunner.RunAsync(new NotebookRunRequest(Path.GetFullPath(notebook), output, parameters), null, null, cancel);
            Console.Out.WriteLine($"notebook {Path.GetFileName(notebook)}: {(result.Succeeded ? "ok" : "FAILED")}");
            if (!result.Succeeded) { Console.Error.WriteLine(result.Describe()); failed++; }
        }
        return failed;
    }
}
