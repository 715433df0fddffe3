using PneuKnow.Data;
using PneuKnow.Models;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace PneuKnow.Explain;

/// <summary>A model to explain: its name in figures and tables, the network, and the plane it is fed.</summary>
/// <param name="Name">e.g. "baseline", "HKD student", "ROI teacher".</param>
/// <param name="Model">The trained network.</param>
/// <param name="Plane">Input plane; <see cref="ImagePlane.Image"/> for a like-for-like comparison.</param>
public sealed record ExplainedModel(string Name, Backbone Model, ImagePlane Plane = ImagePlane.Image);

/// <summary>Grad-CAMs, scores and summary of one model on the chosen images.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Maps">One CAM per image, in the order of the indices.</param>
/// <param name="Scores">Scores against the expert masks, aligned with <paramref name="Maps"/>.</param>
/// <param name="Summary">Scores aggregated over the images.</param>
public sealed record ModelDecisionRegions(string Name, IReadOnlyList<CamMap> Maps, IReadOnlyList<ImageRegionScores> Scores, DecisionRegionSummary Summary);

/// <summary>
/// Decision regions of several models on the same images (baseline vs HKD student vs ROI teacher): what
/// <c>pneuknow explain</c> and the decision-region notebook need in a few calls:
/// <code>
/// var result = DecisionRegionComparison.Run([new("baseline", b), new("HKD", s)], validSet, indices, CamTarget.Label);
/// TableFormat.WriteMarkdown(result.Table(), "regions.md");
/// CamOverlay.SavePng(result.Figure(validSet), "regions.png");
/// </code>
/// </summary>
/// <param name="Indices">The images, as dataset indices.</param>
/// <param name="Models">Per model, in the order given.</param>
public sealed record DecisionRegionComparison(IReadOnlyList<int> Indices, IReadOnlyList<ModelDecisionRegions> Models)
{
    /// <summary>Computes Grad-CAMs of every model on <paramref name="indices"/> and scores them against the images' masks.</summary>
    /// <exception cref="ArgumentException">No models, no images, or two models with one name.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the dataset.</exception>
    public static DecisionRegionComparison Run(IReadOnlyList<ExplainedModel> models, IAnnotatedImageSet images, IReadOnlyList<int> indices,
        CamTarget target, int batchSize = 16, Device? device = null, IProgress? progress = null)
    {
        if (models.Count == 0) throw new ArgumentException("Expected at least one model, found none.", nameof(models));
        if (indices.Count == 0) throw new ArgumentException("Expected at least one image index, found none.", nameof(indices));
        var duplicate = models.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Expected distinct model names, found '{duplicate.Key}' {duplicate.Count()} times.", nameof(models));
        var results = models.Select(m =>
        {
            var maps = GradCam.OfImages(m.Model, images, indices, target, m.Plane, batchSize, device, progress);
            var scores = maps.Select(c => DecisionRegions.Score(c, images.Get(c.Index).Mask)).ToArray();
            return new ModelDecisionRegions(m.Name, maps, scores, DecisionRegions.Summarize(scores));
        }).ToArray();
        return new DecisionRegionComparison(indices, results);
    }

    /// <summary>Scores side by side, one row per model (see <see cref="DecisionRegionTable.Of"/>).</summary>
    public Microsoft.Data.Analysis.DataFrame Table() => DecisionRegionTable.Of(Models.Select(m => (m.Name, m.Summary)).ToArray());

    /// <summary>
    /// The side-by-side figure: one row per image, one column per model (in <see cref="Models"/> order),
    /// each tile the CAM over the X-ray with the mask outline.
    /// </summary>
    public Image<Rgb24> Figure(IAnnotatedImageSet images, double alpha = 0.5, int gap = 4)
    {
        var tiles = new List<Image<Rgb24>>();
        try
        {
            var rows = Indices.Select((index, i) =>
            {
                var example = images.Get(index);
                var row = Models.Select(m => CamOverlay.Render(example, m.Maps[i], alpha)).ToArray();
                tiles.AddRange(row);
                return (IReadOnlyList<Image<Rgb24>>)row;
            }).ToArray();
            return CamOverlay.Grid(rows, gap);
        }
        finally
        {
            foreach (var t in tiles) t.Dispose();
        }
    }

    /// <summary>A caption for <see cref="Figure"/>: the column order and the images with their per-model scores.</summary>
    public string Caption(IReadOnlyList<string> classes)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("Columns: ").AppendJoin(" | ", Models.Select(m => m.Name)).Append(". Green: expert mask outline.\n");
        for (int i = 0; i < Indices.Count; i++)
        {
            sb.Append($"Row {i + 1}: image {Indices[i]}");
            foreach (var m in Models)
                sb.Append($"; {m.Name}: class {classes[m.Maps[i].Class]} (p {m.Maps[i].Probability:F2}), energy {m.Scores[i].EnergyPointingGame:F2}, IoU@0.5 {m.Scores[i].IouAtHalf:F2}");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
