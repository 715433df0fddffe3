using System.Text;

namespace PneuKnow.Study;

/// <summary>Options of a Slurm submission of a sharded study.</summary>
/// <param name="Preset">Preset name.</param>
/// <param name="Shards">Number of array tasks (one shard each).</param>
/// <param name="OutputDir">Where shard folders and the merged study go (on the cluster's shared file system).</param>
/// <param name="Partition">Slurm partition, or null for the cluster's default.</param>
/// <param name="GpusPerTask">GPUs per array task (0 for CPU-only tasks).</param>
/// <param name="CpusPerTask">CPU cores per task (data augmentation runs on them).</param>
/// <param name="TimeLimit">Wall-clock limit per task, Slurm syntax.</param>
/// <param name="RepositoryDir">Checkout of PneuKnow on the cluster.</param>
/// <param name="Backbones">Restrict to these backbones (null: the preset's).</param>
/// <param name="Runs">Override of the repeated-run count (null: the preset's).</param>
public sealed record SlurmOptions(
    string Preset,
    int Shards,
    string OutputDir,
    string? Partition = null,
    int GpusPerTask = 1,
    int CpusPerTask = 8,
    string TimeLimit = "24:00:00",
    string RepositoryDir = "$HOME/PneuKnow",
    IReadOnlyList<string>? Backbones = null,
    int? Runs = null);

/// <summary>
/// Writes a Slurm job-array script: task i runs shard i/n of the study; task 0 also submits
/// the merge job, which waits for the whole array to succeed (<c>afterok</c>).
/// </summary>
public static class SlurmScript
{
    /// <summary>The script text, for <c>sbatch job.sbatch</c>.</summary>
    /// <exception cref="ArgumentException">Shard count ≤ 0 or negative GPUs/CPUs.</exception>
    public static string Render(SlurmOptions o)
    {
        StudyPreset.Get(o.Preset); // unknown presets fail here, not on the cluster
        if (o.Shards <= 0) throw new ArgumentException($"shards: expected a positive count, found {o.Shards}.");
        if (o.GpusPerTask < 0) throw new ArgumentException($"gpus-per-task: expected 0 or more, found {o.GpusPerTask}.");
        if (o.CpusPerTask <= 0) throw new ArgumentException($"cpus-per-task: expected a positive count, found {o.CpusPerTask}.");

        var extra = new StringBuilder();
        if (o.Backbones is { Count: > 0 }) extra.Append(" --backbones ").Append(string.Join(',', o.Backbones));
        if (o.Runs is { } r) extra.Append(" --runs ").Append(r);
        var backend = o.GpusPerTask > 0 ? " -p:TorchBackend=cuda" : "";
        var device = o.GpusPerTask > 0 ? "cuda" : "cpu";

        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append($"#SBATCH --job-name=pneuknow-{o.Preset}\n");
        s.Append($"#SBATCH --array=0-{o.Shards - 1}\n");
        if (o.Partition is not null) s.Append($"#SBATCH --partition={o.Partition}\n");
        if (o.GpusPerTask > 0) s.Append($"#SBATCH --gpus-per-task={o.GpusPerTask}\n");
        s.Append($"#SBATCH --cpus-per-task={o.CpusPerTask}\n");
        s.Append("#SBATCH --ntasks=1\n");
        s.Append($"#SBATCH --time={o.TimeLimit}\n");
        // #SBATCH lines are not expanded by a shell: logs go to the submission folder.
        s.Append("#SBATCH --output=pneuknow-%x-%A_%a.out\n");
        s.Append("set -euo pipefail\n");
        // Array tasks start together on a shared file system: building there from every task would race,
        // so the script runs a build made once before submission.
        s.Append($"# Build once before submitting: dotnet build {o.RepositoryDir}/lib/PneuKnow.Cli -c Release{backend}\n\n");
        s.Append($"OUT={o.OutputDir}\n");
        s.Append($"SHARDS={o.Shards}\n");
        s.Append($"cd {o.RepositoryDir}\n");
        s.Append("PNEUKNOW_DLL=lib/PneuKnow.Cli/bin/Release/net10.0/PneuKnow.Cli.dll\n");
        s.Append("if [ ! -f \"$PNEUKNOW_DLL\" ]; then echo \"expected a build at $PWD/$PNEUKNOW_DLL; run the dotnet build line above first\" >&2; exit 2; fi\n");
        s.Append("mkdir -p \"$OUT\"\n\n");
        s.Append("# Task 0 queues the merge; it starts only if every array task succeeds.\n");
        s.Append("if [ \"$SLURM_ARRAY_TASK_ID\" -eq 0 ]; then\n");
        s.Append("  SHARD_DIRS=$(for i in $(seq 0 $((SHARDS - 1))); do printf '%s/shard-%s ' \"$OUT\" \"$i\"; done)\n");
        s.Append("  sbatch --dependency=afterok:\"$SLURM_ARRAY_JOB_ID\" --job-name=pneuknow-merge");
        if (o.Partition is not null) s.Append($" --partition={o.Partition}");
        s.Append(" --output=\"pneuknow-merge-%j.out\" \\\n");
        s.Append($"    --wrap \"cd $PWD && dotnet $PNEUKNOW_DLL merge $SHARD_DIRS --out $OUT/merged\"\n");
        s.Append("fi\n\n");
        s.Append($"dotnet \"$PNEUKNOW_DLL\" reproduce --preset {o.Preset}{extra} \\\n");
        s.Append($"  --device {device} --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" --out \"$OUT/shard-$SLURM_ARRAY_TASK_ID\"\n");
        return s.ToString();
    }
}
