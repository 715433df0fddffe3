using System.Globalization;
using System.Text.Json;
using Plotly.NET;
using PneuKnow.Plots;
using PneuKnow.Study;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// The forest plot of claims.csv, read from a claims.csv written here by hand and checked against an expectation
/// written here too: one marker and one interval per row, the verdict's colour, primary rows marked, a zero line per panel.
/// </summary>
public sealed class ClaimsForestTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("pneuknow-forest-");
    public void Dispose() => dir.Delete(true);

    // What each row must look like: its numbers, its colour (the verdict's), its marker and the panel unit it sits in.
    sealed record Expected(string Metric, string Backbone, double? Estimate, double? Low, double? High, bool Primary, string Verdict, string Colour, string Symbol, string Unit);

    static readonly Expected[] Rows =
    [
        new("accuracy: HKD student − baseline", "cntk_resnet18", 0.028, 0.012, 0.045, true, "supported", "#009988", "diamond", "paired difference"),
        new("accuracy: HKD student − baseline", "resnet18", -0.05, -0.09, -0.01, false, "contradicted", "#CC3311", "circle", "paired difference"),
        new("balanced accuracy: HKD student − baseline", "cntk_resnet18", 0.006, -0.077, 0.088, true, "inconclusive", "#555555", "diamond", "paired difference"),
        new("epochs to 95 % of the pair's best validation accuracy: baseline − HKD student", "cntk_resnet18", 0.333, -1.1, 1.77, false, "inconclusive", "#555555", "circle", "paired difference in epochs"),
        new("Grad-CAM (predicted class) energy inside the expert mask: HKD student − baseline", "cntk_resnet18", 0.0006, -0.005, 0.0066, false, "measure failed its control", "#9E9E9E", "circle-open", "paired difference"),
        new("pointing game (predicted-class CAM maximum inside the mask): HKD student − baseline", "resnet18", null, null, null, false, "inconclusive", "", "", "paired difference"),
        new("occlusion: drop hiding the expert region: HKD student − baseline", "resnet18", 0.02, null, null, false, "inconclusive", "#555555", "circle", "paired difference"),
    ];

    static string Claim(Expected r) => r.Metric.StartsWith("epochs", StringComparison.Ordinal) ? "convergence"
        : r.Metric.StartsWith("accuracy", StringComparison.Ordinal) || r.Metric.StartsWith("balanced", StringComparison.Ordinal) ? "accuracy" : "decision_regions";

    string WriteClaimsCsv()
    {
        static string N(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
        var lines = new List<string> { string.Join(",", StudyClaims.Columns) };
        lines.AddRange(Rows.Select(r =>
            $"{Claim(r)},{r.Backbone},clean,\"{r.Metric}\",test,{N(r.Estimate)},{N(r.Low)},{N(r.High)},3,937,679,2,0.5,{(r.Primary ? "0.5" : "")},{(r.Primary ? "true" : "false")},paired-t+cluster,{r.Verdict}"));
        var path = Path.Combine(dir.FullName, "claims.csv");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void Every_claims_row_has_one_marker_and_interval_coloured_by_its_verdict_and_primary_rows_are_marked()
    {
        var claims = StudyClaims.Read(WriteClaimsCsv());
        var chart = StudyFigures.ClaimsForest(StudyClaims.ForestRows(claims), "claims", StudyClaims.IntervalNote(claims));
        var figure = JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement;
        var layout = figure.GetProperty("layout");

        // Every drawn point, with its trace's style and axes.
        var points = figure.GetProperty("data").EnumerateArray().Where(t => t.GetProperty("type").GetString() == "scatter").SelectMany(t =>
        {
            var xs = t.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var ys = t.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var rows = t.GetProperty("customdata").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var plus = t.GetProperty("error_x").GetProperty("array").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var minus = t.GetProperty("error_x").GetProperty("arrayminus").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var marker = t.GetProperty("marker");
            return rows.Select((row, j) => (Row: row, X: xs[j], Y: ys[j], Plus: plus[j], Minus: minus[j],
                Colour: marker.GetProperty("color").GetString(), Symbol: marker.GetProperty("symbol").GetString(), ErrorColour: t.GetProperty("error_x").GetProperty("color").GetString(),
                XAxis: t.GetProperty("xaxis").GetString()!, YAxis: t.GetProperty("yaxis").GetString()!));
        }).ToList();

        Assert.Equal(Rows.Count(r => r.Estimate is not null), points.Count);
        for (int i = 0; i < Rows.Length; i++)
        {
            var r = Rows[i];
            if (r.Estimate is not { } estimate)
            {
                Assert.DoesNotContain(points, p => p.Row == i);
                Assert.Single(layout.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("text").GetString() == StudyFigures.NotEstimable);
                continue;
            }
            var p = Assert.Single(points, p => p.Row == i);
            Assert.Equal(estimate, p.X, 12);
            // The interval: as given, or none (a zero-length bar) where claims.csv has no bounds.
            Assert.Equal(r.High is { } high ? high - estimate : 0, p.Plus, 12);
            Assert.Equal(r.Low is { } low ? estimate - low : 0, p.Minus, 12);
            Assert.Equal(r.Colour, p.Colour);
            Assert.Equal(r.Colour, p.ErrorColour);
            Assert.Equal(r.Symbol, p.Symbol);

            // The row's label on its own y axis names the row and says "primary" exactly where the row is primary.
            var yAxis = layout.GetProperty("yaxis" + p.YAxis[1..]);
            var ticks = yAxis.GetProperty("tickvals").EnumerateArray().Select(v => v.GetDouble()).ToList();
            var label = yAxis.GetProperty("ticktext")[ticks.FindIndex(v => Math.Abs(v - p.Y) < 1e-9)].GetString()!;
            Assert.Contains(r.Backbone, label);
            Assert.Equal(r.Primary, label.Contains("primary", StringComparison.Ordinal));
            // The panel's x axis carries the row's unit.
            Assert.StartsWith(r.Unit + " (", layout.GetProperty("xaxis" + p.XAxis[1..]).GetProperty("title").GetProperty("text").GetString());
        }

        // Epochs and shares never share an x axis.
        Assert.Single(points.Where(p => Rows[p.Row].Unit.Contains("epochs")).Select(p => p.XAxis).Distinct());
        Assert.DoesNotContain(points.First(p => Rows[p.Row].Unit.Contains("epochs")).XAxis, points.Where(p => !Rows[p.Row].Unit.Contains("epochs")).Select(p => p.XAxis));

        // A dashed zero line in every panel, on that panel's x axis.
        var axes = points.Select(p => p.XAxis).Distinct().ToList();
        var zeros = layout.GetProperty("shapes").EnumerateArray()
            .Where(s => s.GetProperty("type").GetString() == "line" && s.GetProperty("x0").GetDouble() == 0 && s.GetProperty("x1").GetDouble() == 0).ToList();
        Assert.Equal(axes.Order(), zeros.Select(s => s.GetProperty("xref").GetString()!).Order());
        Assert.All(zeros, s => Assert.Equal(s.GetProperty("xref").GetString()!.Replace("x", "y") + " domain", s.GetProperty("yref").GetString()));
        // Every x range contains zero and every interval.
        foreach (var axis in axes)
        {
            var range = layout.GetProperty("xaxis" + axis[1..]).GetProperty("range").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.True(range[0] < 0 && range[1] > 0, $"{axis}: range {range[0]}..{range[1]} should contain 0");
            Assert.All(points.Where(p => p.XAxis == axis), p => Assert.InRange(p.X - p.Minus, range[0], range[1]));
            Assert.All(points.Where(p => p.XAxis == axis), p => Assert.InRange(p.X + p.Plus, range[0], range[1]));
        }
    }
}
