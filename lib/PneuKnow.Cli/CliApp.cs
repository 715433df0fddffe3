using PneuKnow.Cli.Commands;
using Spectre.Console.Cli;

namespace PneuKnow.Cli;

/// <summary>The <c>pneuknow</c> command tree, shared by the executable and the tests that walk every command.</summary>
public static class CliApp
{
    /// <summary>Builds the application with every command registered, strict parsing and errors to stderr.</summary>
    public static CommandApp Create(IReadOnlyList<string> args, TextWriter? stderr = null)
    {
        var app = new CommandApp();
        app.Configure(c => Configure(c, args, stderr));
        return app;
    }

    /// <summary>
    /// The whole configuration of the executable: every command, strict parsing (an unknown option is an error,
    /// not a silently ignored extra argument) and one error handler that writes to stderr with the documented
    /// <see cref="ExitCodes"/>.
    /// </summary>
    public static void Configure(IConfigurator config, IReadOnlyList<string> args, TextWriter? stderr = null)
    {
        ConfigureCommands(config);
        config.Settings.StrictParsing = true;
        config.SetExceptionHandler((e, _) => CliErrors.Report(e, args, stderr ?? Console.Error));
    }

    /// <summary>Registers every command of every stage.</summary>
    public static void ConfigureCommands(IConfigurator config)
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
