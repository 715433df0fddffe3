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
    public void Models_table_is_not_wrapped_when_redirected_and_csv_json_md_parse()
    {
        var table = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu");
        Assert.Equal(0, table.Exit);
        foreach (var (name, count) in Reference)
            Assert.Contains(table.Out.Split('\n'), line => line.Contains($" {name} ") && line.Contains(count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));

        var csv = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu", "--format", "csv");
        Assert.Equal(0, csv.Exit);
        var lines = csv.Out.TrimEnd('\n').Split('\n');
        Assert.Equal("backbone,parameters,features at 32,forward GFLOPs,pretrained weights", lines[0]);
        foreach (var (name, count) in Reference)
            Assert.Contains($"{name},\"{count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}\",", csv.Out);
        Assert.DoesNotContain("GFLOPs = 2", csv.Out);   // the note goes to stderr
        Assert.Contains("GFLOPs = 2", csv.Error);

        var json = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu", "--format", "json");
        var rows = JsonSerializer.Deserialize<List<Dictionary<string, string>>>(json.Out)!;
        Assert.Equal(lines.Length - 1, rows.Count);
        Assert.Equal("25,557,032", rows.Single(r => r["backbone"] == "resnet50")["parameters"]);

        var md = PneuknowCli.Run("models", "--classes", "1000", "--size", "32", "--device", "cpu", "--format", "md");
        Assert.StartsWith("| backbone | parameters |", md.Out);
        Assert.Contains("| resnet18 | 11,689,512 | 512×1×1 |", md.Out);
    }

    [Fact]
    public void Csv_quotes_by_rfc_4180()
    {
        var t = new TextTable("name", "note").Add("img,0009.png", "say \"hi\"").Add("plain", "two\nlines");
        Assert.Equal("name,note\n\"img,0009.png\",\"say \"\"hi\"\"\"\nplain,\"two\nlines\"\n", t.Render(OutputFormat.Csv));
        Assert.Equal("| name | note |\n|---|---|\n| img,0009.png | say \"hi\" |\n| plain | two lines |\n", t.Render(OutputFormat.Md));
        Assert.Throws<ArgumentException>(() => t.Add("one cell"));
    }
}
