using System.Text.Json;
using PneuKnow.Cli;
using PneuKnow.Cli.Commands;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// <c>pneuknow models --classes 1000 &gt; f</c> writes one unwrapped line per backbone (redirected, Spectre used to wrap
/// at 80 columns and put "efficientnet_b" and "1" on separate lines), and <c>--format csv|json|md</c> write those formats.
/// Parameter counts are the torchvision/timm references with 1000 classes (docs/design.md, "Pretrained weights offline").
/// </summary>
public sealed class TableFormatOptionTests
{
    static readonly Dictionary<string, long> Reference = new()
    {
        ["resnet18"] = 11_689_512, ["resnet50"] = 25_557_032, ["efficientnet_b0"] = 5_288_548,
        ["efficientnet_b1"] = 7_794_184, ["convnext_tiny"] = 28_589_128, ["convnext_small"] = 50_223_688,
    };

    [Fact]
    [Trait("Category", "Slow")]
    public void Models_table_is_not_wrapped_when_redirected_and_csv_json_md_parse()
    {
        var table = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu");
        Assert.Equal(0, table.Exit);
        foreach (var (name, count) in Reference)
            Assert.Contains(table.Out.Split('\n'), line => line.Contains($" {name} ") && line.Contains(count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));

        // csv and json carry raw values: integers without separators, the feature shape as integers, numbers as numbers.
        var csv = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu", "--format", "csv");
        Assert.Equal(0, csv.Exit);
        var t = PneuKnow.Data.Csv.Parse(csv.Out, "models.csv");
        Assert.Equal(["backbone", "parameters", "input_size", "feature_channels", "feature_height", "feature_width", "forward_gflops", "pretrained_weights"], t.Header);
        Assert.DoesNotContain("×", csv.Out);
        foreach (var (name, count) in Reference)
        {
            var row = t.Rows.Single(r => r.Fields[0] == name).Fields;
            Assert.Equal(count, long.Parse(row[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(32, int.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture));
            Assert.All(row[3..6], f => Assert.True(int.TryParse(f, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0, $"{name}: '{f}' is not a dimension"));
            Assert.True(double.Parse(row[6], System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
        Assert.Equal(["512", "1", "1"], t.Rows.Single(r => r.Fields[0] == "resnet18").Fields[3..6]);
        Assert.DoesNotContain("GFLOPs = 2", csv.Out);   // the note goes to stderr
        Assert.Contains("GFLOPs = 2", csv.Error);

        var json = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu", "--format", "json");
        Assert.Equal(0, json.Exit);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(t.Rows.Count, doc.RootElement.GetArrayLength());
        foreach (var row in doc.RootElement.EnumerateArray())
        {
            Assert.Equal(JsonValueKind.String, row.GetProperty("backbone").ValueKind);
            foreach (var key in new[] { "parameters", "input_size", "feature_channels", "feature_height", "feature_width", "forward_gflops" })
                Assert.Equal(JsonValueKind.Number, row.GetProperty(key).ValueKind);
            Assert.Contains(row.GetProperty("pretrained_weights").ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
        }
        var resnet50 = doc.RootElement.EnumerateArray().Single(r => r.GetProperty("backbone").GetString() == "resnet50");
        Assert.Equal(25_557_032, resnet50.GetProperty("parameters").GetInt64());
        Assert.Equal(2048, resnet50.GetProperty("feature_channels").GetInt32());

        var md = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu", "--format", "md");
        Assert.StartsWith("| backbone | parameters |", md.Out);
        Assert.Contains("| resnet18 | 11,689,512 | 512×1×1 |", md.Out);
    }

    [Fact]
    public void Csv_quotes_by_rfc_4180()
    {
        var t = new TextTable("name", "note").Add("img,0009.png", "say \"hi\"").Add("plain", "two\nlines");
        Assert.Equal("name,note\n\"img,0009.png\",\"say \"\"hi\"\"\"\nplain,\"two\nlines\"\n", t.Render(OutputFormat.Csv));
        Assert.Equal("[\n  {\n    \"name\": \"img,0009.png\",\n    \"note\": \"say \\\"hi\\\"\"\n  },\n  {\n    \"name\": \"plain\",\n    \"note\": \"two\\nlines\"\n  }\n]\n",
            t.Render(OutputFormat.Json));
        Assert.Equal("| name | note |\n|---|---|\n| img,0009.png | say \"hi\" |\n| plain | two lines |\n", t.Render(OutputFormat.Md));
        Assert.Throws<ArgumentException>(() => t.Add("one cell"));
    }

    [Fact]
    public void Typed_cells_show_text_on_screen_and_raw_values_in_csv_and_json()
    {
        var t = new TextTable(new TableColumn("n", "n"), new TableColumn("shape", ["c", "h", "w"]), new TableColumn("acc", ["acc_mean", "acc_std"]),
                new TableColumn("x", "x"), new TableColumn("ok", "ok"))
            .Add(Cell.Count(11_689_512), Cell.Shape([512, 7, 7]), Cell.Spread(new PneuKnow.Evaluation.Spread(0.78531, 0.0037, 3, 0)), Cell.Number(double.NaN, "F2"), Cell.Of("yes", true));
        Assert.Equal("| n | shape | acc | x | ok |\n|---|---|---|---|---|\n| 11,689,512 | 512×7×7 | 0.7853 ± 0.0037 | NaN | yes |\n", t.Render(OutputFormat.Md));
        Assert.Equal("n,c,h,w,acc_mean,acc_std,x,ok\n11689512,512,7,7,0.78531,0.0037,,true\n", t.Render(OutputFormat.Csv));
        using var doc = JsonDocument.Parse(t.Render(OutputFormat.Json));
        var row = doc.RootElement.EnumerateArray().Single();
        Assert.Equal(11_689_512, row.GetProperty("n").GetInt64());
        Assert.Equal([512, 7, 7], new[] { "c", "h", "w" }.Select(k => row.GetProperty(k).GetInt32()));
        Assert.Equal(0.78531, row.GetProperty("acc_mean").GetDouble());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("x").ValueKind);
        Assert.True(row.GetProperty("ok").GetBoolean());
        // A cell must carry one value per field of its column.
        Assert.Throws<ArgumentException>(() => t.Add(Cell.Count(1), Cell.Integer(512), Cell.Spread(new PneuKnow.Evaluation.Spread(1, 0, 1, 0)), "x", "y"));
    }
}
