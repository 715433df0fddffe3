using PneuKnow.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("pneuknow");
    config.ValidateExamples();
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Print TorchSharp/libtorch versions, the device, threads and how the native libraries were loaded.")
        .WithExample("info", "--device", "cpu");
    // Each stage registers its own commands; `bench` is a branch that several stages add to.
    PneuKnow.Cli.Commands.Notebook.NotebookCommands.Register(config);
    PneuKnow.Cli.Commands.Data.DataCommands.Register(config);
    PneuKnow.Cli.Commands.Models.ModelsCommands.Register(config);
    PneuKnow.Cli.Commands.Training.TrainingCommands.Register(config);
    PneuKnow.Cli.Commands.Evaluation.EvaluationCommands.Register(config);
    PneuKnow.Cli.Commands.Reproduce.ReproduceCommands.Register(config);
    // `pneuknow bench ...` gathers the stages' benchmarks (AugmentationCommands.RegisterBench, ModelsCommands.RegisterBench,
    // TrainingCommands.RegisterBench); Spectre refuses an empty branch, so it is added once they exist.
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Speed checks that print the machine and a baseline measured in the same run.");
        PneuKnow.Cli.Commands.Models.ModelsCommands.RegisterBench(bench);
    });
});
return await app.RunAsync(args);
