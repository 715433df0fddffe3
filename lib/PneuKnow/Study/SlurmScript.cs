using System.Text;

namespace PneuKnow.Study;

/// <summary>Options of a Slurm submission of a sharded study.</summary>
/// <param name="Preset">Preset name.</param>
/// <param name="Shards">Number of array tasks (one shard each).</param>
/// <param name="OutputDir">Where shard folders, task logs and the merged study go (on the cluster's shared file system);
/// shell variables such as <c>$HOME</c> are expanded on the node, relative paths are relative to <paramref name="RepositoryDir"/>.</param>
/// <param name="Partition">Slurm partition, or null for the cluster's default.</param>
/// <param name="GpusPerTask">GPUs per array task (0 for CPU-only tasks).</param>
/// <param name="CpusPerTask">CPU cores per task: data augmentation and, on CPU-only tasks, torch's intra-op threads run on them.</param>
/// <param name="TimeLimit">Wall-clock limit per task, Slurm syntax.</param>
/// <param name="RepositoryDir">Checkout of PneuKnow on the cluster, built once before submission.</param>
/// <param name="Backbones">Restrict to these backbones (null: the preset's).</param>
/// <param name="Runs">Override of the repeated-run count, in every arm (null: the preset's, per arm; see <see cref="StudyPreset.RunsOf"/>).</param>
/// <param name="DataRoot">Where phantom datasets are generated and reused (relative paths: inside <paramref name="RepositoryDir"/>).</param>
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
    int? Runs = null,
    string DataRoot = "data/generated");

/// <summary>
/// Writes a Slurm job-array script: task i runs shard i/n of the study, and the lowest task of each
/// submission queues a merge job that starts only if every task of that submission succeeds
/// (<c>afterok</c>) and is cancelled as soon as one fails. Resubmitting only the failed tasks
/// (<c>sbatch --array=i job.sbatch</c>) therefore queues a fresh merge over all shard folders.
/// </summary>
public static class SlurmScript
{
    /// <summary>The log of array task <paramref name="index"/>, relative to the output folder (appended to by resubmissions).</summary>
    public static string TaskLog(int index) => $"logs/shard-{index}.log";

    /// <summary>The script text, for <c>sbatch job.sbatch</c>.</summary>
    /// <exception cref="ArgumentException">Shard count ≤ 0, negative GPUs/CPUs, or a path the script cannot quote.</exception>
    public static string Render(SlurmOptions o)
    {
        StudyPreset.Get(o.Preset); // unknown presets fail here, not on the cluster
        if (o.Shards <= 0) throw new ArgumentException($"shards: expected a positive count, found {o.Shards}.");
        if (o.GpusPerTask < 0) throw new ArgumentException($"gpus-per-task: expected 0 or more, found {o.GpusPerTask}.");
        if (o.CpusPerTask <= 0) throw new ArgumentException($"cpus-per-task: expected a positive count, found {o.CpusPerTask}.");
        // Paths go into double quotes so that $HOME expands on the node; these characters would end or escape the quotes.
        foreach (var (name, value) in new[] { ("out", o.OutputDir), ("repo", o.RepositoryDir), ("data", o.DataRoot) })
            if (value.Length == 0 || value.IndexOfAny(['"', '`', '\\', '\n', '\r']) >= 0)
                throw new ArgumentException($"{name}: expected a non-empty path without quotes, backquotes, backslashes or line breaks, found '{value}'.");
        if (o.Partition is { } p && (p.Length == 0 || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ','))))
            throw new ArgumentException($"partition: expected a Slurm partition name (letters, digits, _ - . ,), found '{p}'.");

        var extra = new StringBuilder();
        if (o.Backbones is { Count: > 0 }) extra.Append(" --backbones ").Append(string.Join(',', o.Backbones));
        if (o.Runs is { } r) extra.Append(" --runs ").Append(r);
        var backend = o.GpusPerTask > 0 ? " -p:TorchBackend=cuda" : "";
        var device = o.GpusPerTask > 0 ? "cuda" : "cpu";
        var partition = o.Partition is null ? "" : $" --partition={o.Partition}";

        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append($"#SBATCH --job-name=pneuknow-{o.Preset}\n");
        s.Append($"#SBATCH --array=0-{o.Shards - 1}\n");
        if (o.Partition is not null) s.Append($"#SBATCH --partition={o.Partition}\n");
        if (o.GpusPerTask > 0) s.Append($"#SBATCH --gpus-per-task={o.GpusPerTask}\n");
        s.Append($"#SBATCH --cpus-per-task={o.CpusPerTask}\n");
        s.Append("#SBATCH --ntasks=1\n");
        s.Append($"#SBATCH --time={o.TimeLimit}\n");
        // The task finds dotnet and sbatch through the PATH of the submitting shell (no modules are loaded).
        s.Append("#SBATCH --export=ALL\n");
        // #SBATCH lines are not expanded by a shell and Slurm does not create folders: this file, in the
        // submission folder, only gets what happens before the task's output moves to $OUT/logs (and Slurm's notices).
        s.Append($"#SBATCH --output=pneuknow-{o.Preset}-%A_%a.out\n");
        s.Append("set -euo pipefail\n");
        // Array tasks start together on a shared file system: building there from every task would race,
        // so the script runs a build made once before submission.
        s.Append($"# Build once before submitting: dotnet build {o.RepositoryDir}/lib/PneuKnow.Cli -c Release{backend}\n");
        s.Append("# A task failed? Once the array has ended (squeue shows none of its tasks), resubmit only the failed\n");
        s.Append("# indices, e.g. `sbatch --array=3,5 job.sbatch`: finished shards are kept, and the resubmission queues the merge.\n\n");
        s.Append("if [ -z \"${SLURM_ARRAY_TASK_ID:-}\" ]; then\n");
        s.Append("  echo \"expected to run as a Slurm array task (submit with: sbatch job.sbatch); SLURM_ARRAY_TASK_ID is not set\" >&2; exit 2\n");
        s.Append("fi\n");
        s.Append($"SHARDS={o.Shards}\n");
        s.Append($"REPO=\"{o.RepositoryDir}\"\n");
        s.Append("cd \"$REPO\"\n");
        s.Append($"OUT=\"$(realpath -m \"{o.OutputDir}\")\"\n");
        s.Append($"DATA=\"{o.DataRoot}\"\n");
        s.Append("mkdir -p \"$OUT/logs\"\n");
        s.Append("exec >>\"$OUT/logs/shard-$SLURM_ARRAY_TASK_ID.log\" 2>&1\n");
        s.Append("echo \"== shard $SLURM_ARRAY_TASK_ID/$SHARDS: job ${SLURM_ARRAY_JOB_ID}_$SLURM_ARRAY_TASK_ID on $(hostname), $(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n");
        s.Append("PNEUKNOW_DLL=\"$REPO/lib/PneuKnow.Cli/bin/Release/net10.0/PneuKnow.Cli.dll\"\n");
        s.Append("if [ ! -f \"$PNEUKNOW_DLL\" ]; then echo \"expected a build at $PNEUKNOW_DLL; run the dotnet build line at the top of this script first\" >&2; exit 2; fi\n");
        s.Append("if ! command -v dotnet >/dev/null; then echo \"expected dotnet on PATH (found none in $PATH); submit from a shell where dotnet runs\" >&2; exit 2; fi\n\n");
        s.Append("# The lowest task of each submission queues the merge: it starts when every task of this submission has\n");
        s.Append("# succeeded and is cancelled when one fails, so a resubmission of failed tasks queues a fresh one.\n");
        s.Append("if [ \"$SLURM_ARRAY_TASK_ID\" -eq \"${SLURM_ARRAY_TASK_MIN:-0}\" ]; then\n");
        s.Append("  SHARD_DIRS=()\n");
        s.Append("  for ((i = 0; i < SHARDS; i++)); do SHARD_DIRS+=(\"$OUT/shard-$i\"); done\n");
        s.Append("  MERGE_JOB=$(sbatch --parsable --dependency=afterok:\"$SLURM_ARRAY_JOB_ID\" --kill-on-invalid-dep=yes \\\n");
        s.Append($"    --job-name=pneuknow-{o.Preset}-merge{partition} --ntasks=1 --cpus-per-task={o.CpusPerTask} --time={o.TimeLimit} \\\n");
        s.Append("    --chdir=\"$REPO\" --output=\"$OUT/logs/merge-%j.log\" \\\n");
        s.Append("    --wrap \"$(printf '%q ' dotnet \"$PNEUKNOW_DLL\" merge \"${SHARD_DIRS[@]}\" --out \"$OUT/merged\")\")\n");
        s.Append("  echo \"queued merge job $MERGE_JOB (afterok:$SLURM_ARRAY_JOB_ID), log: $OUT/logs/merge-$MERGE_JOB.log\"\n");
        s.Append("fi\n\n");
        s.Append($"dotnet \"$PNEUKNOW_DLL\" reproduce --preset {o.Preset}{extra} --data \"$DATA\" \\\n");
        s.Append($"  --device {device} --threads \"$SLURM_CPUS_PER_TASK\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" --out \"$OUT/shard-$SLURM_ARRAY_TASK_ID\"\n");
        return s.ToString();
    }
}
