using PneuKnow.Runtime;
using PneuKnow.Training;
using TorchSharp;

namespace PneuKnow.Cli.Commands;

/// <summary>The value of a bench's <c>--precision</c>: one precision or several, comma-separated, compared in one call.</summary>
static class PrecisionList
{
    /// <summary>Parses <paramref name="text"/> (e.g. <c>fp32,bf16-mixed</c>); returns null and the list, or the error naming what was expected and found.</summary>
    public static string? TryParse(string text, string option, out IReadOnlyList<Precision> precisions)
    {
        var list = new List<Precision>();
        precisions = list;
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!SnakeCase.TryParse<Precision>(name, out var p))
                return $"{option}: expected a comma-separated list of {string.Join(", ", SnakeCase.Names<Precision>())}, found '{name}'.";
            if (list.Contains(p)) return $"{option}: '{name}' is listed twice.";
            list.Add(p);
        }
        return list.Count == 0 ? $"{option}: expected at least one of {string.Join(", ", SnakeCase.Names<Precision>())}, found '{text}'." : null;
    }

    /// <summary>Why these precisions cannot run here (libtorch's autocast not reachable), or null.</summary>
    public static string? Refusal(IReadOnlyList<Precision> precisions, torch.Device device) =>
        precisions.Any(p => p.AutocastType() is not null) && Autocast.Unavailable is { } why
            ? $"--precision {string.Join(",", precisions.Select(SnakeCase.Of))}: mixed precision is not available: {why}"
            : null;

    /// <summary>
    /// A note for fp16-mixed on a CPU: libtorch runs it, but only CPUs with float16 arithmetic (AVX512-FP16, AMX-FP16) gain
    /// from it; it is the authors' CUDA recipe. Null otherwise.
    /// </summary>
    public static string? Note(IReadOnlyList<Precision> precisions, torch.Device device) =>
        device.type == DeviceType.CPU && precisions.Contains(Precision.Float16Mixed)
            ? "note: fp16-mixed is the authors' CUDA recipe; on a CPU libtorch runs it, but without float16 arithmetic in the CPU (AVX512-FP16, AMX-FP16) " +
              "it is far slower than fp32 (on an AMD EPYC Zen 4: float16 GEMM at 0.02× the float32 rate, ResNet-18 training 11× slower) — use bf16-mixed on CPUs."
            : null;
}
