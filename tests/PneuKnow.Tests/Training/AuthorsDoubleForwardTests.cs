using PneuKnow.Augmentation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using PneuKnow.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Training;

/// <summary>The authors' student step runs model(images) and model.forward_features(images): BatchNorm statistics move twice.</summary>
public class AuthorsDoubleForwardTests
{
    public AuthorsDoubleForwardTests() => TorchRuntime.Initialize("cpu");

    static Dictionary<string, Tensor> Statistics(Backbone m) => m.state_dict()
        .Where(kv => kv.Key.EndsWith(".running_mean") || kv.Key.EndsWith(".running_var") || kv.Key.EndsWith(".num_batches_tracked"))
        .ToDictionary(kv => kv.Key, kv => kv.Value.clone());

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    public void One_student_step_updates_batchnorm_statistics_as_that_many_forward_passes(bool authorsDoubleForward, int passes)
    {
        manual_seed(1);
        using var teacher = BackboneZoo.Create(new BackboneOptions("resnet18", 2, Dropout: 0));
        using var student = BackboneZoo.Create(new BackboneOptions("resnet18", 2, Dropout: 0));
        using var reference = BackboneZoo.Create(new BackboneOptions("resnet18", 2, Dropout: 0));
        reference.load_state_dict(student.state_dict());
        var g = new Generator(2);
        using var batch = new Batch(rand(new long[] { 4, 3, 32, 32 }, generator: g), rand(new long[] { 4, 3, 32, 32 }, generator: g),
            zeros(4, 1, 32, 32), tensor(new long[] { 0, 1, 0, 1 }), arange(4));

        var method = new HkdStudent(teacher, kdEpochs: 2, initialWeight: 0.5, authorsDoubleForward: authorsDoubleForward);
        student.train();
        var terms = method.Loss(student, batch, 0);
        terms.Total.backward();

        reference.train();
        using (no_grad())
            for (int i = 0; i < passes; i++) reference.forward(reference.Normalize(batch.Image)).Dispose();

        var got = Statistics(student);
        var expected = Statistics(reference);
        Assert.Equal(expected.Keys.Order(), got.Keys.Order());
        Assert.Equal(passes, got["bn1.num_batches_tracked"].item<long>());
        foreach (var (key, value) in expected)
            Assert.True(value.allclose(got[key], rtol: 1e-5, atol: 1e-6), $"{key} differs from {passes} forward pass(es)");
    }
}
