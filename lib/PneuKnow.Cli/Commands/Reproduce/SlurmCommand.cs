using System.ComponentModel;
using PneuKnow.Study;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary><c>pneuknow slurm</c>: print a Slurm job-array script for a sharded study.</summary>
public sealed class SlurmCommand : Command<SlurmCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--preset <PRESET>")]
        [Description("smoke, quick, study or paper.")]
        [DefaultValue("paper")]
        public string Preset { get; init; } = "paper";

        [CommandOption("--shards <N>")]
        [Description("Number of array tasks; each runs one shard i/N of the grid.")]
        [DefaultValue(10)]
        public int Shards { get; init; } = 10;

        [CommandOption("--out <DIR>")]
        [Description("Output folder on the cluster's shared file system (relative: inside --repo): shard-<i>/ per task, logs/shard-<i>.log, merged/.")]
        [DefaultValue("$HOME/pneuknow-results")]
        public string Out { get; init; } = "$HOME/pneuknow-results";

        [CommandOption("--partition <P>")]
        [Description("Slurm partition (default: the cluster's default).")]
        public string? Partition { get; init; }

        [CommandOption("--gpus-per-task <N>")]
        [DefaultValue(1)]
        public int GpusPerTask { get; init; } = 1;

        [CommandOption("--cpus-per-task <N>")]
        [DefaultValue(8)]
        public int CpusPerTask { get; init; } = 8;

        [CommandOption("--time <LIMIT>")]
        [Description("Wall-clock limit per task (Slurm syntax).")]
        [DefaultValue("24:00:00")]
        public string Time { get; init; } = "24:00:00";

        [CommandOption("--repo <DIR>")]
        [Description("PneuKnow checkout on the cluster.")]
        [DefaultValue("$HOME/PneuKnow")]
        public string Repo { get; init; } = "$HOME/PneuKnow";

        [CommandOption("--backbones <LIST>")]
        [Description("Comma-separated backbones (default: the preset's).")]
        public string? Backbones { get; init; }

        [CommandOption("--runs <N>")]
        [Description("Repeated runs in every arm instead of the preset's (the study preset's 30-pair primary arms included).")]
        public int? Runs { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Where the tasks generate and reuse phantom data (relative: inside --repo).")]
        [DefaultValue("data/generated")]
        public string Data { get; init; } = "data/generated";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        string script;
        try
        {
            script = SlurmScript.Render(new SlurmOptions(
                s.Preset, s.Shards, s.Out, s.Partition, s.GpusPerTask, s.CpusPerTask, s.Time, s.Repo,
                s.Backbones?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), s.Runs, s.Data));
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        Console.Out.Write(script);
        return 0;
    }
}
