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
        [Description("smoke (CI, minutes), quick (the study with 3 pairs: 2-core CPU, 40-80 min), study (30 pairs in the primary arms, 12 in the others: hours), paper (the published recipe, GPU).")]
        [DefaultValue("quick")]
        public string Preset { get; init; } = "quick";

        [CommandOption("--backbones <LIST>")]
        [Description("Comma-separated backbones instead of the preset's.")]
        public string? Backbones { get; init; }

        [CommandOption("--arms <LIST>")]
        [Description("Comma-separated arms instead of the preset's (do, noroi, roi10, roi30, roi60 in study). A replication of the primary arms: --arms do --backbones cntk_resnet18 --seed 7.")]
        public string? Arms { get; init; }

        [CommandOption("--runs <N>")]
        [Description("Repeated runs in every arm instead of the preset's (the study preset's 30-pair primary arms included).")]
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

        [CommandOption("--seed <S>")]
        [Description("Base seed of the study (default: the preset's, 42). Another seed is a replication: every pair, teacher and data order is drawn anew; the study stamp records it")]
        public int? Seed { get; init; }

        [CommandOption("--precision <PRECISION>")]
        [Description("Train every run of the study in this number format: fp32 (every preset's, as published), bf16-mixed or fp16-mixed (autocast with float32 master weights). The study stamp records it when it is not fp32; merge refuses shards of different precisions.")]
        public string? Precision { get; init; }

        [CommandOption("--workers <N>")]
        [Description("Units trained at once, each in its own process with threads/N intra-op threads (default 1). On the 2-core VM two workers trained no faster than one process with two threads.")]
        [DefaultValue(1)]
        public int Workers { get; init; } = 1;

        [CommandOption("--unit <KEY>")]
        [Description("Train only this unit (e.g. cntk_resnet18_clean_do_kd) and write no tables; what each --workers process runs.")]
        public string? Unit { get; init; }

        [CommandOption("--keep-checkpoints <WHICH>")]
        [Description("Which checkpoints (best.pt, 45-64 MB each, packed losslessly to about 38-54 MB once training no longer reads them) stay once their runs are scored: used (default: per main arm the lowest pair whose baseline, ROI teacher and HKD student all finished, which the decision-region figures, notebooks and explain load), all, or none.")]
        [DefaultValue(StudyCheckpoints.Default)]
        public KeepCheckpoints KeepCheckpoints { get; init; } = StudyCheckpoints.Default;

        [CommandOption("--wait")]
        [Description("When another process writes into the output folder (its lock names it), wait until it finishes instead of failing with exit 2.")]
        public bool Wait { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            Workers < 1 ? Spectre.Console.ValidationResult.Error($"--workers: expected a positive count, found {Workers}.")
            : Precision is not null && !SnakeCase.TryParse<PneuKnow.Training.Precision>(Precision, out _)
                ? Spectre.Console.ValidationResult.Error($"--precision: expected one of {string.Join(", ", SnakeCase.Names<PneuKnow.Training.Precision>())}, found '{Precision}'.")
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        StudyPreset preset;
        ShardSpec shard;
        try
        {
            preset = StudyPreset.Get(s.Preset);
            shard = s.Shard is null ? ShardSpec.All : ShardSpec.Parse(s.Shard);
            preset = StudyRunner.Restrict(preset, s.Backbones?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), s.Runs,
                s.Arms?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (s.Seed is { } seed) preset = preset with { Seed = seed };
            if (s.Precision is { } precision) preset = preset with { Precision = SnakeCase.Parse<PneuKnow.Training.Precision>(precision, "--precision") };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        var outDir = Path.GetFullPath(s.Out ?? Path.Combine("results", preset.Name));
        // Held until the notebooks have run: every file of the study folder is this command's.
        using var owned = OutputFolder.Own(outDir, context, s.Wait, cancellationToken);
        var sw = Stopwatch.StartNew();
        // The study's wall time by part, printed at the end (no file: the study's results do not depend on it).
        var times = new StudyTimes();
        TorchRuntimeReport report;
        using (times.Measure(StudyPhase.Setup)) report = TorchRuntime.Initialize(s.Device, s.Threads);
        var o = Console.Out;
        foreach (var line in Header(preset, shard, s.Unit)) o.WriteLine(line);
        o.WriteLine($"device:  {report.DeviceDescription}, {report.Threads} threads");
        o.WriteLine($"output:  {outDir}");

        StudyResult result;
        try
        {
            if (s.Unit is not null)
            {
                result = TerminalProgress.Run(p => StudyRunner.Run(preset, Options(s, outDir, shard) with { Units = [s.Unit] }, p, cancellationToken));
                o.WriteLine($"unit {s.Unit}: trained in {result.Elapsed.TotalMinutes:F1} min");
                return 0;
            }
            var units = StudyGrid.Shard(StudyGrid.Units(preset), shard);
            int workers = s.Workers;
            if (workers > 1 && units.Count > 1)
            {
                // Generated once here, so that workers never race to generate the same data.
                foreach (var condition in preset.Conditions)
                    using (times.Measure(StudyPhase.Data))
                        StudyRunner.EnsureData(preset, condition, s.Data, PneuKnow.Runtime.SilentProgress.Instance);
                int threads = Math.Max(1, (s.Threads ?? Environment.ProcessorCount) / workers);
                o.WriteLine($"workers: {workers} processes × {threads} thread(s); logs under {Path.Combine(outDir, "logs")}");
                IReadOnlyList<UnitOutcome> outcomes;
                using (times.Measure(StudyPhase.Workers))
                    outcomes = await TerminalProgress.RunAsync(p => StudyWorkers.RunAsync(preset, units, workers,
                        (unit, cancel) => UnitWorker.RunAsync(s, unit.Key, threads, outDir, cancel), p, cancellationToken));
                var failed = outcomes.Where(x => x.ExitCode != 0).ToList();
                foreach (var f in failed)
                    Console.Error.WriteLine($"error: unit {f.Unit.Key} failed (exit {f.ExitCode}); its log: {UnitWorker.LogPath(outDir, f.Unit.Key)}\n{UnitWorker.Tail(outDir, f.Unit.Key, 8)}");
                if (failed.Count > 0) return 1;
            }
            // With workers every run is finished by now, and this pass only collects them (and writes the stamp).
            result = TerminalProgress.Run(p => StudyRunner.Run(preset, Options(s, outDir, shard) with { Times = times }, p, cancellationToken));
        }
        catch (Exception e) when (e is PneuKnow.Training.TrainingException or PneuKnow.Training.ConfigException or PneuKnow.Data.DataException or FileNotFoundException or InvalidDataException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        o.WriteLine($"trained: {result.Experiments.Count} experiment(s) in {sw.Elapsed.TotalMinutes:F1} min");
        if (shard.Count > 1)
        {
            o.WriteLine($"shard {shard} done; combine all shards with: pneuknow merge <shard folders...> --out <dir>");
            foreach (var line in times.Lines()) o.WriteLine(line);
            return 0;
        }

        StudyEvaluation evaluation;
        using (times.Measure(StudyPhase.Tables)) evaluation = StudyReport.Evaluate(outDir, s.Data);
        var files = StudyReport.Write(evaluation, times: times);
        o.WriteLine($"tables and figures: {files.Count} files under {outDir}");
        var claimsClock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<ClaimRow> claims;
        using (times.Measure(StudyPhase.DecisionRegions)) claims = TerminalProgress.Run(p => StudyReport.WriteClaims(evaluation, p));
        o.WriteLine($"claims: {claims.Count} paired comparisons (decision regions scored with Grad-CAM) in {claimsClock.Elapsed.TotalMinutes:F1} min: {Path.Combine(outDir, "tables", StudyClaims.FileStem + ".csv")}");

        if (!s.NoNotebooks)
        {
            var folder = s.Notebooks ?? "notebooks";
            if (!Directory.Exists(folder))
            {
                if (s.Notebooks is not null) { Console.Error.WriteLine($"error: --notebooks: folder {folder} not found."); return 2; }
                o.WriteLine($"notebooks: skipped ({Path.GetFullPath(folder)} not found; run from the repository root or pass --notebooks)");
            }
            else
            {
                int failed;
                using (times.Measure(StudyPhase.Notebooks)) failed = await RunNotebooks(folder, preset.Name, outDir, s.Data, cancellationToken);
                if (failed > 0) return 1;
            }
        }

        o.WriteLine();
        o.WriteLine(StudyClaims.Markdown(claims, preset));
        o.WriteLine(evaluation.Headline());
        if (preset.Name == "smoke")
            Console.Error.WriteLine("warning: the smoke preset checks that the pipeline runs end to end (2 epochs, 120 tiny phantoms, one run); its numbers mean nothing. Run the default quick preset for results.");
        foreach (var line in times.Lines()) o.WriteLine(line);
        o.WriteLine($"total: {sw.Elapsed.TotalMinutes:F1} min on {report.DeviceDescription}");
        return 0;
    }

    /// <summary>The runner's options from the command line.</summary>
    static StudyOptions Options(Settings s, string outDir, ShardSpec shard) =>
        new(outDir, s.Data, shard) { KeepCheckpoints = s.KeepCheckpoints };

    /// <summary>
    /// The first lines of <c>reproduce</c>: the preset's recipe, then the units this command trains grouped by backbone and
    /// data condition with their arms, e.g. <c>units:   5 in shard all: cntk_resnet18 · clean [do, noroi], …</c>.
    /// </summary>
    public static IReadOnlyList<string> Header(StudyPreset preset, ShardSpec shard, string? unit = null)
    {
        var primary = preset.PrimaryRuns is { } p ? $" ({p} in the primary backbones' main arm)" : "";
        var units = StudyRunner.Select(StudyGrid.Shard(StudyGrid.Units(preset), shard), unit is null ? null : [unit]);
        var groups = units.GroupBy(u => (u.Backbone, Condition: StudyRunner.ConditionOf(preset, u).Name))
            .Select(g => $"{g.Key.Backbone} · {g.Key.Condition} [{string.Join(", ", g.Select(u => u.Variant.Name).Distinct())}]");
        return
        [
            $"preset:  {preset.Name}: {preset.Runs} run(s) per arm{primary}, {preset.Resolution} px, {preset.Epochs} epochs, base seed {preset.Seed}; " +
            (preset.Precision == PneuKnow.Training.Precision.Float32 ? "" : $"precision {SnakeCase.Of(preset.Precision)}; ") +
            $"conditions {string.Join(", ", preset.Conditions.Select(c => c.Name))}",
            $"units:   {units.Count} in shard {shard}: {string.Join(", ", groups)}",
        ];
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
