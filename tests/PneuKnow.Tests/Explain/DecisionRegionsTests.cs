using PneuKnow.Explain;
using PneuKnow.Tests.Evaluation;

namespace PneuKnow.Tests.Explain;

public class DecisionRegionsTests
{
    // 4×4 plane; the mask is the left half.
    private static readonly byte[] LeftHalf = [255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0];

    private static float[] Where(Func<int, int, float> f) => Enumerable.Range(0, 16).Select(i => f(i / 4, i % 4)).ToArray();

    [Fact]
    public void A_cam_equal_to_the_mask_scores_one_everywhere()
    {
        var cam = new CamMap(0, 0, 1, 4, 4, LeftHalf.Select(m => m / 255f * 0.7f).ToArray());
        var s = DecisionRegions.Score(cam, LeftHalf);
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (s.EnergyPointingGame, s.PointingGame, s.IouAtHalf, s.IouAtOtsu));
    }

    [Fact]
    public void A_cam_entirely_outside_the_mask_scores_zero_everywhere()
    {
        var cam = new CamMap(0, 0, 1, 4, 4, LeftHalf.Select(m => m == 0 ? 2f : 0f).ToArray());
        var s = DecisionRegions.Score(cam, LeftHalf);
        Assert.Equal((0.0, 0.0, 0.0, 0.0), (s.EnergyPointingGame, s.PointingGame, s.IouAtHalf, s.IouAtOtsu));
    }

    [Fact]
    public void Partial_overlap_matches_hand_computed_values()
    {
        // Column values 1, 1, 3, 0: mass inside = 8 of 20; maximum in column 2 (outside);
        // normalised 1/3, 1/3, 1, 0 → ≥ 0.5 is column 2 only: IoU 0 / 12 = 0.
        var cam = Where((y, x) => new[] { 1f, 1f, 3f, 0f }[x]);
        Assert.Equal(0.4, DecisionRegions.EnergyPointingGame(cam, LeftHalf), 12);
        Assert.Equal(0.0, DecisionRegions.PointingGame(cam, LeftHalf));
        Assert.Equal(0.0, DecisionRegions.IntersectionOverUnion(cam, LeftHalf, 0.5));
        // at threshold 0.3 columns 0, 1, 2 are on: IoU = 8 / 12
        Assert.Equal(8.0 / 12, DecisionRegions.IntersectionOverUnion(cam, LeftHalf, 0.3), 12);
        // levels 85, 85, 255, 0: Otsu separates {0, 85} from {255} → IoU 0; column values 3, 3, 1, 0 would give 1.
        Assert.Equal(0.0, DecisionRegions.IntersectionOverUnionAtOtsu(cam, LeftHalf));
        Assert.Equal(1.0, DecisionRegions.IntersectionOverUnionAtOtsu(Where((y, x) => new[] { 3f, 3f, 1f, 0f }[x]), LeftHalf));
    }

    [Fact]
    public void Undefined_cases_are_nan_and_counted_apart()
    {
        var empty = new byte[16];
        var cam = new CamMap(3, 0, 1, 4, 4, Where((y, x) => x));
        var s = DecisionRegions.Score(cam, empty);
        Assert.True(double.IsNaN(s.EnergyPointingGame) && double.IsNaN(s.PointingGame) && double.IsNaN(s.IouAtHalf) && double.IsNaN(s.IouAtOtsu));
        var flat = DecisionRegions.Score(new CamMap(4, 0, 1, 4, 4, new float[16]), LeftHalf);
        Assert.True(double.IsNaN(flat.EnergyPointingGame) && double.IsNaN(flat.PointingGame) && double.IsNaN(flat.IouAtHalf));
        var good = DecisionRegions.Score(new CamMap(5, 0, 1, 4, 4, LeftHalf.Select(m => (float)m).ToArray()), LeftHalf);
        var summary = DecisionRegions.Summarize([s, flat, good]);
        Assert.Equal(1.0, summary.PointingGame.Mean);
        Assert.Equal((1, 2), (summary.PointingGame.Images, summary.PointingGame.Undefined));
    }

    [Fact]
    public void Bad_planes_are_refused()
    {
        Assert.Contains("same size", Assert.Throws<ArgumentException>(() => DecisionRegions.EnergyPointingGame(new float[3], LeftHalf)).Message);
        var negative = new float[16];
        negative[5] = -1;
        Assert.Contains("Pixel 5", Assert.Throws<ArgumentException>(() => DecisionRegions.PointingGame(negative, LeftHalf)).Message);
    }

    [Fact]
    public void Otsu_threshold_equals_OpenCV()
    {
        var json = EvaluationFixtures.Json("otsu.json");
        foreach (var c in json.GetProperty("cases").EnumerateArray())
        {
            var pixels = c.GetProperty("pixels").EnumerateArray().Select(p => (byte)p.GetInt32()).ToArray();
            Assert.Equal((int)c.GetProperty("threshold").GetDouble(), DecisionRegions.OtsuThreshold(pixels));
        }
    }

    [Fact]
    public void Summary_table_has_a_row_per_model()
    {
        var one = DecisionRegions.Summarize([DecisionRegions.Score(new CamMap(0, 0, 1, 4, 4, LeftHalf.Select(m => (float)m).ToArray()), LeftHalf)]);
        var t = DecisionRegionTable.Of([("baseline", one), ("HKD", one)]);
        Assert.Equal(2, t.Rows.Count);
        Assert.Equal(1.0, (double)t.Columns["IoU at Otsu mean"][1]!);
        Assert.Contains("| HKD | 1.0000 ± 0.0000 |", PneuKnow.Evaluation.TableFormat.ToMarkdown(t));
    }
}
