using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Evaluation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Evaluation;

public class FeatureProbeTests
{
    public FeatureProbeTests() => TorchRuntime.Initialize("cpu");

    /// <summary>Five well separated Gaussian clusters in 8 dimensions, <paramref name="perClass"/> points each.</summary>
    static (Tensor Features, long[] Labels) Clusters(int perClass, ulong seed)
    {
        var g = new Generator(seed);
        var centres = randn([5, 8], generator: g) * 10;
        var labels = Enumerable.Range(0, 5 * perClass).Select(i => (long)(i % 5)).ToArray();
        var features = centres.index_select(0, tensor(labels)) + randn([labels.Length, 8], generator: g);
        return (features, labels);
    }

    [Fact]
    public void Linear_probe_separates_separable_features_and_is_at_chance_on_shuffled_labels()
    {
        var (train, trainLabels) = Clusters(40, seed: 1);
        // Same centres (same seed), fresh noise: a validation split of the same distribution.
        var (valid, validLabels) = Clusters(100, seed: 1);
        valid = valid + randn(valid.shape, generator: new Generator(2)) * 0.5;

        Assert.Equal(1.0, FeatureProbe.LinearProbe(train, trainLabels, valid, validLabels, 5));

        var rng = new Random(3);
        var shuffledTrain = trainLabels.OrderBy(_ => rng.Next()).ToArray();
        var shuffledValid = validLabels.OrderBy(_ => rng.Next()).ToArray();
        double chance = FeatureProbe.LinearProbe(train, shuffledTrain, valid, shuffledValid, 5);
        // 500 validation labels, 5 classes: chance is 0.2 with a standard deviation of 0.018.
        Assert.InRange(chance, 0.1, 0.3);
    }

    [Fact]
    public void Nearest_neighbour_takes_the_label_of_the_most_similar_training_item()
    {
        // Training points on the axes: mean 0 and equal spread per channel, so standardising only rescales them.
        var train = tensor(new float[] { 1, 0, -1, 0, 0, 1, 0, -1 }, [4, 2]);
        long[] trainLabels = [0, 1, 2, 3];
        // Nearest by angle: (1,0) → 0, (0,−1) → 3, (0,1) → 2, (−1,0) → 1 (cos 0.74 beats 0.67 for (0,1)).
        var valid = tensor(new float[] { 2, 0.1f, -0.1f, -3, 0.2f, 1, -1, 0.9f }, [4, 2]);
        long[] validLabels = [0, 3, 1, 1];   // the third is labelled 1 but lies nearest to a 2
        Assert.Equal(0.75, FeatureProbe.NearestNeighbour(train, trainLabels, valid, validLabels));
    }

    [Fact]
    public void Pooled_features_are_the_spatial_mean_of_the_last_feature_map_whatever_the_batch_size()
    {
        manual_seed(5);
        using var model = BackboneZoo.Create(new BackboneOptions("resnet18", 5, Dropout: 0));
        var images = rand([5, 3, 64, 64], generator: new Generator(6));
        var pooled = FeatureProbe.PooledFeatures(model, images, batchSize: 2);

        Tensor expected;
        using (no_grad())
        {
            model.eval();
            var map = model.Features(model.Normalize(images));
            Assert.Equal(new long[] { 5, 512, 2, 2 }, map.shape);
            // By hand: the mean of the 2×2 positions.
            expected = (map[.., .., 0, 0] + map[.., .., 0, 1] + map[.., .., 1, 0] + map[.., .., 1, 1]) / 4;
        }
        Assert.Equal(new long[] { 5, 512 }, pooled.shape);
        Assert.True(pooled.allclose(expected, rtol: 1e-4, atol: 1e-5));
        Assert.True(FeatureProbe.PooledFeatures(model, images, batchSize: 16).allclose(pooled, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Mismatched_inputs_are_refused_naming_the_counts()
    {
        var features = zeros(4, 3);
        var e = Assert.Throws<ArgumentException>(() => FeatureProbe.LinearProbe(features, [0, 1, 0], features, [0, 1, 0, 1], 2));
        Assert.Contains("3 for 4 training rows", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => FeatureProbe.LinearProbe(features, [0, 1, 0, 2], features, [0, 1, 0, 1], 2));
        Assert.Contains("found 2 (label 3", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => FeatureProbe.NearestNeighbour(features, [0, 1, 0, 1], zeros(4, 2), [0, 1, 0, 1]));
        Assert.Contains("[4, 3] and [4, 2]", e3.Message);
    }

    [Fact]
    public void A_phantom_probe_set_holds_the_rendered_split_with_its_labels()
    {
        var options = new PhantomOptions { Images = 30, Size = 32, Seed = 4 };
        var set = ProbeSet.FromPhantom(options, SplitNames.Valid);
        var cases = PhantomGenerator.Plan(options).Where(c => c.Split == SplitNames.Valid).ToList();
        Assert.Equal(new long[] { cases.Count, 3, 32, 32 }, set.Images.shape);
        Assert.Equal(cases.Select(c => (long)set.Classes.ToList().IndexOf(c.Label)), set.Labels);
        var raw = PhantomGenerator.Render(options, cases[^1]).Raw;
        var last = set.Images[cases.Count - 1, 2].flatten().data<float>().ToArray();
        Assert.Equal(raw.Select(b => b / 255f), last);
        Assert.Throws<ArgumentException>(() => ProbeSet.FromPhantom(options, "holdout"));
    }
}
