using PneuKnow.Augmentation;
using PneuKnow.Cli;
using PneuKnow.Explain;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Tests.Augmentation;
using PneuKnow.Tests.Training;
using PneuKnow.Training;
using PneuKnow.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Cuda;

/// <summary>Why the CUDA tests cannot run here, or null when they can; decided once per test process.</summary>
static class CudaAvailability
{
    static readonly Lazy<string?> Reason = new(() =>
    {
        // The driver first: on a machine without one, discovery must not load libtorch just to find out.
        if (CudaDriver.Describe(0) is null)
            return "no CUDA GPU: the NVIDIA driver (libcuda.so.1) is not installed or sees no device";
        TorchRuntime.Initialize("cpu");
        if (!torch.cuda.is_available())
            return "a GPU is present but the loaded libtorch has no CUDA: build with -p:TorchBackend=cuda, or set PNEUKNOW_LIBTORCH to a CUDA libtorch with its shim (README, GPU clusters)";
        return null;
    });

    public static string? SkipReason => Reason.Value;
}

/// <summary>A test that needs a CUDA device; skipped with the reason when there is none.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (CudaAvailability.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>The CUDA path: placement, agreement with the CPU, Grad-CAM, and the smoke study on the GPU.</summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class CudaTests : IDisposable
{
    readonly TempFolders folders = new();

    public CudaTests()
    {
        TorchRuntime.Initialize("cuda");
        // Agreement to 1e-3 is a statement about fp32: TF32 convolutions and matmuls (10-bit mantissa) differ by more.
        torch.backends.cuda.matmul.allow_tf32 = false;
        torch.backends.cudnn.allow_tf32 = false;
    }

    // Later tests of the process assume the CPU, as every test class that does not say otherwise does.
    public void Dispose()
    {
        folders.Dispose();
        TorchRuntime.Initialize("cpu");
    }

    static Device Gpu => TorchRuntime.Device;

    [CudaFact]
    public void Every_tensor_of_an_hkd_training_step_is_on_the_gpu()
    {
        torch.manual_seed(1);
        var set = new SyntheticSet(6, 32, 32);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.None), new BatchLoaderOptions(BatchSize: 4, Shuffle: false), Gpu);
        using var teacher = BackboneZoo.Create(new BackboneOptions("resnet18", 3));
        using var student = BackboneZoo.Create(new BackboneOptions("resnet18", 3));
        teacher.to(Gpu);
        student.to(Gpu);
        var method = new HkdStudent(teacher, kdEpochs: 2, initialWeight: 0.5);
        using var batch = loader.Epoch(0).First();
        foreach (var (name, t) in new[] { ("image", batch.Image), ("roi", batch.Roi), ("mask", batch.Mask), ("label", batch.Label), ("index", batch.Index) })
            Assert.True(t.device_type == DeviceType.CUDA, $"batch {name} is on {t.device}");

        student.train();
        var terms = method.Loss(student, batch, epoch: 0);
        foreach (var (name, t) in new[] { ("total", terms.Total), ("classification", terms.Classification), ("consistency", terms.Consistency!), ("logits", terms.Logits) })
            Assert.True(t.device_type == DeviceType.CUDA, $"loss term {name} is on {t.device}");
        terms.Total.backward();
        foreach (var (name, p) in student.named_parameters())
        {
            Assert.True(p.device_type == DeviceType.CUDA, $"student {name} is on {p.device}");
            Assert.True(p.grad is { } g && g.device_type == DeviceType.CUDA, $"student {name}'s gradient is missing or not on the GPU");
        }
        foreach (var (name, p) in teacher.named_parameters())
        {
            Assert.True(p.device_type == DeviceType.CUDA, $"teacher {name} is on {p.device}");
            Assert.False(p.requires_grad, $"teacher {name} still requires gradients");
        }
    }

    [CudaFact]
    public void Every_backbone_computes_the_same_forward_on_cuda_as_on_the_cpu()
    {
        var failures = new List<string>();
        foreach (var architecture in BackboneZoo.Names)
        {
            torch.manual_seed(2);
            using var model = BackboneZoo.Create(new BackboneOptions(architecture, 3));
            model.eval();
            using var input = torch.rand(2, 3, 64, 64);
            using var _ = torch.no_grad();
            using var cpu = model.forward(input);
            model.to(Gpu);
            using var onGpu = model.forward(input.to(Gpu)).cpu();
            double scale = cpu.abs().max().item<float>();
            double diff = (cpu - onGpu).abs().max().item<float>();
            if (!(diff <= 1e-3 * Math.Max(scale, 1e-6))) failures.Add($"{architecture}: max |cpu - cuda| = {diff:G3} against max |cpu| = {scale:G3}");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [CudaFact]
    public void Grad_cam_on_cuda_matches_the_cpu()
    {
        torch.manual_seed(3);
        using var model = BackboneZoo.Create(new BackboneOptions("resnet18", 3));
        model.eval();
        using var input = torch.rand(2, 3, 64, 64);
        var cpu = GradCam.Compute(model, input, CamTarget.Predicted);
        model.to(Gpu);
        var gpu = GradCam.Compute(model, input.to(Gpu), CamTarget.Predicted);
        Assert.Equal(cpu.Length, gpu.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.Equal(cpu[i].Class, gpu[i].Class);
            Assert.Equal(cpu[i].Values.Length, gpu[i].Values.Length);
            float worst = cpu[i].Values.Zip(gpu[i].Values, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-3f * Math.Max(1f, cpu[i].Values.Max(Math.Abs)), $"map {i}: max difference {worst}");
        }
    }

    [CudaFact]
    public void Reproduce_smoke_completes_on_cuda()
    {
        var root = folders.Create("cuda-smoke");
        string[] args = ["reproduce", "--preset", "smoke", "--device", "cuda", "--no-notebooks",
            "--out", Path.Combine(root, "out"), "--data", Path.Combine(root, "data")];
        int rc = CliApp.Create(args).Run(args);
        Assert.Equal(0, rc);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "out", "tables"), "*.csv"));
    }
}
