using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>Registers the study commands: reproduce, merge, report, pack, unpack, compact-figures, slurm.</summary>
internal static class ReproduceCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<ReproduceCommand>("reproduce")
            .WithDescription("The whole study: phantom data, backbones x {baseline, ROI teacher, HKD student} x runs, tables, figures, executed notebooks.")
            .WithExample("reproduce", "--preset", "smoke");
        config.AddCommand<MergeCommand>("merge")
            .WithDescription("Combine the folders of a sharded study (same preset and code version) and write its tables.")
            .WithExample("merge", "results/shard-0", "results/shard-1", "--out", "results/merged");
        config.AddCommand<ReportCommand>("report")
            .WithDescription("Rewrite the tables and figures of a finished study folder from its runs (no training; tables/claims.csv is read, not rescored).")
            .WithExample("report", "results/quick");
        config.AddCommand<PackCommand>("pack")
            .WithDescription("Pack a study's finished runs into one Brotli-compressed tar per unit (runs/<unit>/runs.tar.br) before committing them; every reader reads packed runs.")
            .WithExample("pack", "results/reference/study");
        config.AddCommand<UnpackCommand>("unpack")
            .WithDescription("Write a study's packed runs back into plain run folders and remove the packs.")
            .WithExample("unpack", "results/reference/study");
        config.AddCommand<CompactFiguresCommand>("compact-figures")
            .WithDescription("Bring a study folder's figures to the committed form without drawing them again: pages load the shared plotly.min.js two folders up where one is current, RGB PNGs become palette PNGs where faithful.")
            .WithExample("compact-figures", "results/reference/quick");
        config.AddCommand<SlurmCommand>("slurm")
            .WithDescription("Print a Slurm job-array script: one shard of the study per task, then a dependent merge job.")
            .WithExample("slurm", "--preset", "paper", "--shards", "10", "--partition", "gpu");
    }
}
