using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>Registers the study commands: reproduce, slurm, merge.</summary>
internal static class ReproduceCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<SlurmCommand>("slurm")
            .WithDescription("Print a Slurm job-array script: one shard of the study per task, then a dependent merge job.")
            .WithExample("slurm", "--preset", "paper", "--shards", "10", "--partition", "gpu");
    }
}
