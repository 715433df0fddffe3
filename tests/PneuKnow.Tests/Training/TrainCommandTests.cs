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

    /// <summary>
    /// <c>train --precision</c> overrides every stage's <c>precision</c> key, in both directions: a config without the key trains
    /// in bf16-mixed, one that says bf16-mixed trains in fp32; run.json records what ran. Without the option the key rules.
    /// </summary>
    [Fact]
    public void Precision_option_overrides_every_stage_and_run_json_records_it()
    {
        var dir = TrainingSetup.TempDir("cli-precision");
        var data = Path.Combine(dir, "data");
        PneuKnow.Data.Phantom.PhantomGenerator.Generate(new PneuKnow.Data.Phantom.PhantomOptions
        {
            Images = 18, Size = 32, Seed = 5, Conspicuity = 2,
            ClassShares = new Dictionary<string, double> { ["B"] = 1, ["NB"] = 1, ["V"] = 1 },
            Splits = new PneuKnow.Data.SplitFractions(0.5, 0.25, 0.25),
        }, data);
        string Config(string name, string precisionKey)
        {
            var path = Path.Combine(dir, name + ".json");
            File.WriteAllText(path, $$"""
                { "settings": { "experiment_name": "{{name}}", "raw_data_dir": "{{data}}/raw", "roi_data_dir": "{{data}}/roi",
                                "metadata_file": "{{data}}/manifest.csv", "model_dir": "runs", "repeated_runs": 1, "seed": 3 },
                  "model": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.5, "augmentations": "none", "batch_size": 6,
                             "pretrained": false, "schedule": "constant", "learning_rate": 0.001, "epochs": 1{{precisionKey}} } }
                """);
            return path;
        }
        string Recorded(string outRoot)
        {
            var runJson = Directory.EnumerateFiles(outRoot, PneuKnow.Training.RunFolder.ConfigFileName, SearchOption.AllDirectories).Single();
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(runJson));
            return doc.RootElement.GetProperty("precision").GetString()!;
        }
        var plain = Config("plain", "");
        var mixed = Config("mixed", ", \"precision\": \"bf16-mixed\"");
        foreach (var (config, option, expected) in new[] { (plain, (string?)null, "fp32"), (plain, "bf16-mixed", "bf16-mixed"), (mixed, null, "bf16-mixed"), (mixed, "fp32", "fp32") })
        {
            var outRoot = Path.Combine(dir, $"out-{Path.GetFileNameWithoutExtension(config)}-{option ?? "key"}");
            string[] args = ["train", config, "--device", "cpu", "--threads", "1", "--out", outRoot, .. option is null ? Array.Empty<string>() : ["--precision", option]];
            var r = PneuKnow.Tests.Cli.PneuknowCli.Run(args);
            Assert.True(r.Exit == 0, r.Error);
            Assert.Equal(expected, Recorded(outRoot));
        }
        var bad = PneuKnow.Tests.Cli.PneuknowCli.Run("train", plain, "--precision", "bf16", "--device", "cpu");
        Assert.Equal(PneuKnow.Cli.ExitCodes.Usage, bad.Exit);
        Assert.Contains("--precision: expected one of fp32, bf16-mixed, fp16-mixed, found 'bf16'.", bad.Error);
    }
}
