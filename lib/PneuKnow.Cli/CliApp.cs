using PneuKnow.Cli.Commands;
using Spectre.Console.Cli;

namespace PneuKnow.Cli;

/// <summary>The <c>pneuknow</c> command tree, shared by the executable and the tests that walk every command.</summary>
public static class CliApp
{
    /// <summary>Builds the application with every command registered.</summary>
    public static CommandApp Create()
    {
        var app = new CommandApp();
        app.Configure(Configure);
        return app;
    }

    /// <summary>Registers every command of every stage.</summary>
    public static void Configure(IConfigurator config)
    {
        config.SetApplicationName("pneuknow");
        config.ValidateExamples();
        config.SetInterceptor(new TorchSettingsInterceptor());
        config.AddCommand<InfoCommand>("info")
            .WithDescription("Print TorchSharp/libtorch versions, the device, threads and how the native libraries were loaded.")
            .WithExample("info", "--device", "cpu");
        config.AddCommand<BundleCommand>("bundle")
            .WithDescription("Publish a self-contained pneuknow (no .NET SDK needed to run it) as a folder and a .tar.xz, with or without the CPU libtorch.")
            .WithExample("bundle", "--out", "dist", "--libtorch", "none");
        // Each stage registers its own commands; `bench` is a branch that several stages add to.
        Commands.Notebook.NotebookCommands.Register(config);
        Commands.Data.DataCommands.Register(config);
        Commands.Models.ModelsCommands.Register(config);
        Commands.Training.TrainingCommands.Register(config);
        Commands.Evaluation.EvaluationCommands.Register(config);
        Commands.Reproduce.ReproduceCommands.Register(config);
        config.AddBranch("bench", bench =>
        {
            bench.SetDescription("Speed checks against baselines measured in the same run.");
            Commands.Data.DataCommands.RegisterBench(bench);
            Commands.Augmentation.AugmentationCommands.RegisterBench(bench);
            Commands.Models.ModelsCommands.RegisterBench(bench);
            Commands.Training.TrainingCommands.RegisterBench(bench);
        });
    }
}
