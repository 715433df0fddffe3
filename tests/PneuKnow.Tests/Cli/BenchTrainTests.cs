namespace PneuKnow.Tests.Cli;

/// <summary>
/// <c>pneuknow bench train</c>'s ratio divides the trainer's rate by a bare loop's on the same network: with
/// <c>--data phantom</c> both must train the quick preset's dilated ResNet (output stride 16), not the trainer that one and
/// the bare loop the reference stride (a 32-px image gives a 2×2 feature map at stride 16, 1×1 at stride 32).
/// </summary>
[Trait("Category", "Slow")]
public sealed class BenchTrainTests
{
    [Fact]
    public void The_bare_loop_and_the_trainer_train_the_same_network_on_the_phantom_path()
    {
        var r = PneuknowCli.Run("bench", "train", "--arch", "resnet18", "--size", "32", "--batch", "4", "--batches", "1", "--epochs", "3",
            "--data", "phantom", "--images", "40", "--device", "cpu", "--threads", "1");
        Assert.True(r.Exit == 0, r.Error + r.Out);
        Assert.Contains("feature map per image: bare loop 2×2, trainer 2×2 (the same network in both loops)\n", r.Out);
    }

    [Fact]
    public void On_pre_made_batches_both_loops_keep_the_reference_stride()
    {
        var r = PneuknowCli.Run("bench", "train", "--arch", "resnet18", "--size", "64", "--batch", "2", "--batches", "1", "--epochs", "3",
            "--device", "cpu", "--threads", "1");
        Assert.True(r.Exit == 0, r.Error + r.Out);
        Assert.Contains("feature map per image: bare loop 2×2, trainer 2×2 (the same network in both loops)\n", r.Out);
    }
}
