using System.Globalization;
using System.Text.Json;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Evaluation;
using PneuKnow.Tests.Evaluation;
using PneuKnow.Tests.Training;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Every command with <c>--format</c> (models in <see cref="TableFormatOptionTests"/>; evaluate, train and bench models
/// here) prints raw typed values in csv and json, parsed here with <see cref="Csv"/> and System.Text.Json. The train test
/// also carries image names with a comma, a quote, a space and non-ASCII from the manifest through training, the
/// predictions file and evaluate.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class MachineReadableOutputTests : IDisposable
{
    readonly TempFolders folders = new();

    public void Dispose() => folders.Dispose();

    static double Number(string field) => double.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture);

    string EvaluationRuns()
    {
        var root = folders.Create("eval-runs");
        foreach (var (name, fixture) in new[] { ("cs-base-0", "imbalanced"), ("cs-base-1", "never_predicted"), ("cs-hkd-0", "absent_class") })
        {
            var dir = Path.Combine(root, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
            File.Copy(EvaluationFixtures.Path($"predictions_{fixture}.csv"), Path.Combine(dir, "predictions_valid.csv"));
        }
        return root;
    }

    [Fact]
    public void Evaluate_prints_means_and_stds_as_numbers()
    {
        var root = EvaluationRuns();
        string[] runs = ["cs-base-0", "cs-base-1", "cs-hkd-0"];
        string[] Args(string format) => ["evaluate", .. runs.Select(r => Path.Combine(root, r)), "--out", Path.Combine(root, "out-" + format), "--resamples", "20", "--format", format];
        // The two cs-base runs' accuracies, from scikit-learn (the fixtures' expected_*.json).
        double expected = (EvaluationFixtures.Json("expected_imbalanced.json").GetProperty("accuracy").GetDouble()
                           + EvaluationFixtures.Json("expected_never_predicted.json").GetProperty("accuracy").GetDouble()) / 2;

        var csv = PneuknowCli.Run(Args("csv"));
        Assert.True(csv.Exit == 0, csv.Error);
        var t = Csv.Parse(csv.Out, "evaluate.csv");
        Assert.Equal(["group", "runs", "accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std", "macro_auc_mean", "macro_auc_std"], t.Header);
        var baseRow = t.Rows.Single(r => r.Fields[0] == "cs-base").Fields;
        Assert.Equal("2", baseRow[1]);
        Assert.Equal(expected, Number(baseRow[2]), 12);
        Assert.All(baseRow[3..], f => Assert.InRange(Number(f), 0, 1));
        Assert.DoesNotContain("±", csv.Out);
        Assert.Contains("split: valid", csv.Error);   // the note goes to stderr

        var json = PneuknowCli.Run(Args("json"));
        Assert.True(json.Exit == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Out);
        var row = doc.RootElement.EnumerateArray().Single(r => r.GetProperty("group").GetString() == "cs-base");
        Assert.Equal(2, row.GetProperty("runs").GetInt32());
        Assert.Equal(expected, row.GetProperty("accuracy_mean").GetDouble(), 12);
        foreach (var key in new[] { "accuracy_std", "macro_f1_mean", "macro_f1_std", "macro_auc_mean", "macro_auc_std" })
            Assert.Equal(JsonValueKind.Number, row.GetProperty(key).ValueKind);
    }

    /// <summary>
    /// Group 9: <c>tables</c> takes <c>--format</c> like the other table commands. Its accuracy table prints the two
    /// runs' mean accuracy (scikit-learn's, from the fixtures) unrounded in csv and json, "mean ± std" in md, and the
    /// notes go to stderr in the script formats.
    /// </summary>
    [Fact]
    public void Tables_prints_the_accuracy_table_in_every_format()
    {
        var root = EvaluationRuns();
        string[] runs = ["cs-base-0", "cs-base-1", "cs-hkd-0"];
        string[] Args(string format) => ["tables", .. runs.Select(r => Path.Combine(root, r)), "--out", Path.Combine(root, "tables-" + format), "--format", format];
        double expected = (EvaluationFixtures.Json("expected_imbalanced.json").GetProperty("accuracy").GetDouble()
                           + EvaluationFixtures.Json("expected_never_predicted.json").GetProperty("accuracy").GetDouble()) / 2;

        var csv = PneuknowCli.Run(Args("csv"));
        Assert.True(csv.Exit == 0, csv.Error);
        var t = Csv.Parse(csv.Out, "tables.csv");
        Assert.Equal(["backbone", "accuracy_mean", "accuracy_std", "accuracy_runs"], t.Header);
        var baseRow = t.Rows.Single(r => r.Fields[0] == "cs-base").Fields;
        Assert.Equal(expected, Number(baseRow[1]), 12);
        Assert.Equal("2", baseRow[3]);
        Assert.Contains("tables written to", csv.Error);
        Assert.DoesNotContain("tables written to", csv.Out);

        // With the sample std (ddof 1) a group of one run has none: NaN, which json has no number for.
        var json = PneuknowCli.Run([.. Args("json"), "--ddof", "1"]);
        Assert.True(json.Exit == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Out);
        var row = doc.RootElement.EnumerateArray().Single(r => r.GetProperty("backbone").GetString() == "cs-base");
        Assert.Equal(expected, row.GetProperty("accuracy_mean").GetDouble(), 12);
        Assert.Equal(2, row.GetProperty("accuracy_runs").GetInt32());
        var hkd = doc.RootElement.EnumerateArray().Single(r => r.GetProperty("backbone").GetString() == "cs-hkd");
        Assert.Equal(JsonValueKind.Null, hkd.GetProperty("accuracy_std").ValueKind);

        var md = PneuknowCli.Run(Args("md"));
        Assert.True(md.Exit == 0, md.Error);
        Assert.StartsWith("| backbone | accuracy | accuracy runs |", md.Out);
        Assert.Contains($"| cs-base | {expected.ToString("F4", CultureInfo.InvariantCulture)} ± ", md.Out);
        // The file the command writes keeps its own form.
        Assert.Equal(File.ReadAllText(Path.Combine(root, "tables-md", "accuracy.md")), File.ReadAllText(Path.Combine(root, "tables-csv", "accuracy.md")));
    }

    [Fact]
    public void Bench_models_prints_rates_and_utilisation_as_numbers()
    {
        string[] Args(string format) => ["bench", "models", "--backbones", "resnet18", "--size", "32", "--batch", "1", "--seconds", "0.05", "--device", "cpu", "--threads", "1", "--format", format];
        var csv = PneuknowCli.Run(Args("csv"));
        Assert.True(csv.Exit == 0, csv.Error);
        var t = Csv.Parse(csv.Out, "bench.csv");
        Assert.Equal(["backbone", "precision", "gflops_per_image", "forward_images_per_second", "train_images_per_second", "forward_mfu", "train_mfu"], t.Header);
        var row = t.Rows.Single().Fields;
        Assert.Equal(["resnet18", "fp32"], row[..2]);
        Assert.All(row[2..], f => Assert.True(Number(f) > 0, f));
        Assert.DoesNotContain("%", csv.Out);
        Assert.Contains("baseline: float32 GEMM", csv.Error);

        // Several precisions in one call: a row each, and the lowered type's GEMM and convolution rates as its ceilings.
        var mixed = PneuknowCli.Run([.. Args("csv"), "--precision", "fp32,bf16-mixed"]);
        Assert.True(mixed.Exit == 0, mixed.Error);
        Assert.Equal(["fp32", "bf16-mixed"], Csv.Parse(mixed.Out, "bench.csv").Rows.Select(r => r.Fields[1]));
        Assert.Contains("baseline: BFloat16 GEMM", mixed.Error);
        Assert.Contains("3×3 convolution N8 C128 56²", mixed.Error);
        var bad = PneuknowCli.Run([.. Args("csv"), "--precision", "fp32,bf16"]);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--precision: expected a comma-separated list of fp32, bf16-mixed, fp16-mixed, found 'bf16'.", bad.Error + bad.Out);

        var json = PneuknowCli.Run(Args("json"));
        Assert.True(json.Exit == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Out);
        var r = doc.RootElement.EnumerateArray().Single();
        Assert.Equal("fp32", r.GetProperty("precision").GetString());
        // resnet18 at 32 px: 2 × MACs ≈ 0.074 GFLOPs (1.82 GFLOPs at 224 px scales with the pixels, 49× fewer).
        Assert.InRange(r.GetProperty("gflops_per_image").GetDouble(), 0.03, 0.1);
        foreach (var key in new[] { "forward_images_per_second", "train_images_per_second", "forward_mfu", "train_mfu" })
            Assert.Equal(JsonValueKind.Number, r.GetProperty(key).ValueKind);
    }

    [Fact]
    public void Bench_train_compares_precisions_in_interleaved_rounds()
    {
        var r = PneuknowCli.Run("bench", "train", "--arch", "resnet18", "--size", "32", "--batch", "2", "--batches", "1", "--epochs", "3",
            "--precision", "fp32,bf16-mixed", "--rounds", "2", "--device", "cpu", "--threads", "1");
        Assert.True(r.Exit == 0, r.Error + r.Out);
        // Round 1 in the order given, round 2 reversed, then the medians with the speed-up against the first precision.
        var rounds = r.Out.Split('\n').Where(l => l.StartsWith("round ", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3])).ToList();
        Assert.Equal(["round 1 fp32", "round 1 bf16-mixed", "round 2 bf16-mixed", "round 2 fp32"], rounds);
        Assert.Contains("median of 2 round(s), images/s (speed-up against fp32):", r.Out);
        Assert.Matches(@"\n  fp32 +bare loop [0-9.]+ \(1\.00×\), trainer [0-9.]+ \(1\.00×\)", r.Out);
        Assert.Matches(@"\n  bf16-mixed +bare loop [0-9.]+ \([0-9.]+×\), trainer [0-9.]+ \([0-9.]+×\)", r.Out);
    }

    /// <summary>A small phantom whose every image is renamed to a name with a comma, a quote, spaces and non-ASCII.</summary>
    string OddlyNamedPhantom()
    {
        var dir = folders.Create("odd-phantom");
        PhantomGenerator.Generate(new PhantomOptions
        {
            Images = 24, Size = 32, Seed = 5, Conspicuity = 2,
            ClassShares = new Dictionary<string, double> { ["B"] = 1, ["NB"] = 1, ["V"] = 1 },
            Splits = new SplitFractions(0.5, 0.25, 0.25),
        }, dir);
        var manifest = Path.Combine(dir, PhantomGenerator.ManifestFileName);
        var t = Csv.Read(manifest);
        var w = new CsvWriter(t.Header);
        foreach (var (_, f) in t.Rows)
        {
            var odd = $"{Path.GetFileNameWithoutExtension(f[0])}, \"ü\" 1.png";
            foreach (var sub in new[] { "raw", "roi", "masks", PhantomGenerator.DeviceFolder })
                if (File.Exists(Path.Combine(dir, sub, f[0]))) File.Move(Path.Combine(dir, sub, f[0]), Path.Combine(dir, sub, odd));
            w.Row([odd, .. f[1..]]);
        }
        w.Save(manifest);
        return dir;
    }

    [Fact]
    public void Train_prints_typed_results_and_odd_file_names_survive_to_evaluate()
    {
        var data = OddlyNamedPhantom();
        var names = Manifest.Load(Path.Combine(data, PhantomGenerator.ManifestFileName)).InSplit("test").Select(r => r.FileName).ToList();
        Assert.All(names, n => Assert.Contains(", \"ü\" ", n));

        var config = Path.Combine(folders.Create("odd-config"), "experiment.json");
        File.WriteAllText(config, $$"""
            { "settings": { "experiment_name": "odd", "raw_data_dir": "{{data}}/raw", "roi_data_dir": "{{data}}/roi",
                            "metadata_file": "{{data}}/manifest.csv", "model_dir": "runs", "repeated_runs": 1, "seed": 3 },
              "model": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.5, "augmentations": "weak", "batch_size": 6,
                         "pretrained": false, "schedule": "constant", "learning_rate": 0.001, "epochs": 1 } }
            """);
        var outRoot = folders.Create("odd-out");
        var json = PneuknowCli.Run("train", config, "--device", "cpu", "--threads", "1", "--out", outRoot, "--format", "json");
        Assert.True(json.Exit == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Out);
        var run = doc.RootElement.EnumerateArray().Single();
        Assert.Equal(0, run.GetProperty("run").GetInt32());
        Assert.Equal(0, run.GetProperty("best_epoch").GetInt32());
        foreach (var key in new[] { "val_loss", "val_acc", "test_acc" })
            Assert.Equal(JsonValueKind.Number, run.GetProperty(key).ValueKind);
        Assert.False(run.GetProperty("reused").GetBoolean());
        var folder = run.GetProperty("folder").GetString()!;
        Assert.True(Directory.Exists(folder), folder);

        // Again: the finished run is reused, and the csv says so in its own field.
        var csv = PneuknowCli.Run("train", config, "--device", "cpu", "--threads", "1", "--out", outRoot, "--format", "csv");
        Assert.True(csv.Exit == 0, csv.Error);
        var t = Csv.Parse(csv.Out, "train.csv");
        Assert.Equal(["run", "best_epoch", "val_loss", "val_acc", "test_acc", "folder", "reused"], t.Header);
        var row = t.Rows.Single().Fields;
        Assert.Equal(run.GetProperty("val_acc").GetDouble(), Number(row[3]));
        Assert.Equal((folder, "true"), (row[5], row[6]));

        // The odd names went manifest → training → predictions file → reader unchanged, and evaluate reads them.
        var predictions = RunFolders.ReadPredictions(folder, "test");
        Assert.Equal(names.Order(StringComparer.Ordinal), predictions.Rows.Select(r => r.FileName).Order(StringComparer.Ordinal));
        var evaluation = PneuknowCli.Run("evaluate", folder, "--split", "test", "--out", Path.Combine(outRoot, "evaluation"), "--resamples", "10", "--format", "json");
        Assert.True(evaluation.Exit == 0, evaluation.Error);
        using var e = JsonDocument.Parse(evaluation.Out);
        Assert.Equal(run.GetProperty("test_acc").GetDouble(), e.RootElement.EnumerateArray().Single().GetProperty("accuracy_mean").GetDouble(), 12);
    }
}
