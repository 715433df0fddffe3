using System.ComponentModel;
using PneuKnow.Study;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary><c>pneuknow merge</c>: combine the folders of a sharded study and write its tables.</summary>
public sealed class MergeCommand : Command<MergeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<SHARDS>")]
        [Description("Study folders written by `reproduce --shard i/n`.")]
        public string[] Shards { get; init; } = [];

        [CommandOption("--out <DIR>")]
        [Description("Folder of the merged study.")]
        [DefaultValue("results/merged")]
        public string Out { get; init; } = "results/merged";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        try
        {
            var stamp = ShardMerge.Merge(s.Shards, s.Out);
            // The claims score decision regions with Grad-CAM, which needs torch.
            PneuKnow.Runtime.TorchRuntime.Initialize();
            var evaluation = StudyReport.Evaluate(s.Out);
            var files = StudyReport.Write(evaluation);
            var claims = StudyReport.WriteClaims(evaluation);
            Console.Out.WriteLine($"merged {s.Shards.Length} shard(s), {stamp.Units.Count} unit(s), preset {stamp.Preset}, into {Path.GetFullPath(s.Out)} ({files.Count} table/figure files)");
            Console.Out.WriteLine();
            Console.Out.WriteLine(StudyClaims.Markdown(claims, evaluation.Preset));
            Console.Out.WriteLine(evaluation.Headline());
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
