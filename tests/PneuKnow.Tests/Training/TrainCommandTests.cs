using PneuKnow.Cli.Commands.Training;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Training;

public class TrainCommandTests
{
    [Fact]
    public void A_config_with_an_unknown_key_exits_with_code_2_before_touching_data()
    {
        var dir = TrainingSetup.TempDir("cli");
        var path = Path.Combine(dir, "bad.txt");
        File.WriteAllText(path, "[settings]\nexperiment_name = x\nraw_data_dir = r\nroi_data_dir = r\nmetadata_file = m.csv\nmodel_dir = m\ncuda = 0\nrepeated_runs = 1\n" +
                                "[model]\nresolution = 32\nmodel_architecture = resnet18\ndropout_percent = 0.5\nepochs = 2\naugmentations = weak\nbatch_size = 4\nlr = 0.1\n");
        var app = new CommandApp();
        app.Configure(c => c.AddCommand<TrainCommand>("train"));
        Assert.Equal(2, app.Run(["train", path, "--device", "cpu"]));
    }

    /// <summary>
    /// `train cfg.json --out X/root` with an experiment_name that is not one folder name exits 2 naming the setting,
    /// the value and what is expected, and writes nothing (".." used to create X/baseline/ and X/config.json).
    /// </summary>
    [Theory]
    [InlineData("..")]
    [InlineData("/x")]
    [InlineData("a/../../b")]
    [InlineData("")]
    public void An_experiment_name_outside_the_output_root_exits_2_and_writes_nothing(string name)
    {
        var dir = TrainingSetup.TempDir("cli-name");
        var config = Path.Combine(dir, "cfg.json");
        File.WriteAllText(config, $$"""
            { "settings": { "experiment_name": "{{name}}", "raw_data_dir": "raw", "roi_data_dir": "roi", "metadata_file": "m.csv",
                            "model_dir": "models", "cuda": 0, "repeated_runs": 1 },
              "model": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.0, "epochs": 2,
                         "augmentations": "none", "batch_size": 4 } }
            """);
        var r = PneuKnow.Tests.Cli.PneuknowCli.Run("train", config, "--out", Path.Combine(dir, "myroot"), "--device", "cpu");
        Assert.Equal(PneuKnow.Cli.ExitCodes.Usage, r.Exit);
        Assert.Contains($"{config}, settings.experiment_name: expected a single folder name", r.Error);
        Assert.Contains($"found '{name}'", r.Error);
        Assert.Equal([config], Directory.EnumerateFileSystemEntries(dir));
    }
}
