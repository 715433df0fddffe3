using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Evaluation;

/// <summary>Registers the evaluation commands.</summary>
internal static class EvaluationCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<EvaluateCommand>("evaluate")
            .WithDescription("Metrics of run folders (from their predictions_<split>.csv): per run, mean ± std per group, bootstrap intervals, ROC/confusion/F1 figures.")
            .WithExample("evaluate", "results/runs/convnext_small-baseline-0", "results/runs/convnext_small-baseline-1", "--split", "valid", "--out", "results/evaluation");
        config.AddCommand<TablesCommand>("tables")
            .WithDescription("The paper's tables from run folders (class scores, accuracy per backbone and variant) and the comparison with the published numbers.")
            .WithExample("tables", "results/runs/cs-base-0", "results/runs/cs-hkd-0", "--cell", "cs-base=convnext_small:baseline", "--cell", "cs-hkd=convnext_small:HKD",
                "--compare", "cs-base=ConvNeXt_small_Baseline:baseline", "--compare", "cs-hkd=ConvNeXt_small_KD:student");
        config.AddCommand<ExplainCommand>("explain")
            .WithDescription("Grad-CAM overlays (PNG) of a run's selected model on images of a split, scored against the expert masks (energy pointing game, pointing game, IoU).")
            .WithExample("explain", "results/quick/runs/cntk_resnet18_clean_do_kd/student/run_0", "--images", "0,1,2", "--split", "test", "--out", "results/explain");
    }
}
