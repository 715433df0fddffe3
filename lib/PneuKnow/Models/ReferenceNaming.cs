using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>
/// What a backbone knows about the reference implementations' state-dict names: its own names are timm's;
/// this maps torchvision's where they differ and says which keys form the classifier.
/// </summary>
public interface IReferenceNaming
{
    /// <summary>State-dict keys of the final linear classifier (re-initialised when the class count differs).</summary>
    IReadOnlyList<string> ClassifierKeys { get; }

    /// <summary>True when <paramref name="keys"/> use torchvision's names rather than timm's.</summary>
    bool IsTorchvision(IReadOnlyCollection<string> keys);

    /// <summary>
    /// The timm key (and value, reshaped where torchvision stores it differently) for a torchvision key;
    /// keys without a counterpart come back unchanged so that they are reported as unexpected.
    /// </summary>
    (string Key, Tensor Value) FromTorchvision(string key, Tensor value);
}

/// <summary>torchvision → timm names of the architectures whose names differ.</summary>
public static partial class TorchvisionNames
{
    /// <summary>
    /// torchvision <c>EfficientNet</c> → timm <c>EfficientNet</c>. torchvision nests each block's layers in
    /// <c>block.k</c> (an expansion layer only when the expand ratio is not 1), timm names them.
    /// </summary>
    /// <param name="key">torchvision key, e.g. <c>features.2.0.block.1.0.weight</c>.</param>
    /// <param name="stageExpands">Expand ratio of each stage (the config's order).</param>
    public static string EfficientNet(string key, IReadOnlyList<int> stageExpands)
    {
        var m = EfficientNetKey().Match(key);
        if (!m.Success)
        {
            if (key.StartsWith("classifier.1.", StringComparison.Ordinal)) return "classifier." + key["classifier.1.".Length..];
            return key;
        }
        int feature = int.Parse(m.Groups["f"].Value);
        var rest = m.Groups["rest"].Value;
        if (feature == 0) return Replace(rest, ("0.", "conv_stem."), ("1.", "bn1.")) ?? key;
        if (feature == stageExpands.Count + 1) return Replace(rest, ("0.", "conv_head."), ("1.", "bn2.")) ?? key;
        if (feature > stageExpands.Count + 1) return key;
        var b = BlockKey().Match(rest);
        if (!b.Success) return key;
        bool expands = stageExpands[feature - 1] != 1;
        var layers = expands
            ? new[] { ("0.0.", "conv_pw."), ("0.1.", "bn1."), ("1.0.", "conv_dw."), ("1.1.", "bn2."), ("2.fc1.", "se.conv_reduce."), ("2.fc2.", "se.conv_expand."), ("3.0.", "conv_pwl."), ("3.1.", "bn3.") }
            : new[] { ("0.0.", "conv_dw."), ("0.1.", "bn1."), ("1.fc1.", "se.conv_reduce."), ("1.fc2.", "se.conv_expand."), ("2.0.", "conv_pw."), ("2.1.", "bn2.") };
        var mapped = Replace(b.Groups["layer"].Value, layers);
        return mapped is null ? key : $"blocks.{feature - 1}.{b.Groups["j"].Value}.{mapped}";
    }

    /// <summary>
    /// torchvision <c>ConvNeXt</c> → timm <c>ConvNeXt</c>: <c>features.0</c> is the stem, odd <c>features</c>
    /// are stages, even ones (from 2) downsamplings; <c>layer_scale</c> (C×1×1) becomes <c>gamma</c> (C).
    /// </summary>
    public static (string Key, Tensor Value) ConvNeXt(string key, Tensor value)
    {
        if (key.StartsWith("classifier.", StringComparison.Ordinal))
            return (Replace(key["classifier.".Length..], ("0.", "head.norm."), ("2.", "head.fc.")) ?? key, value);
        var m = ConvNeXtKey().Match(key);
        if (!m.Success) return (key, value);
        int feature = int.Parse(m.Groups["f"].Value);
        var rest = m.Groups["rest"].Value;
        if (feature == 0) return (Replace(rest, ("0.", "stem.0."), ("1.", "stem.1.")) ?? key, value);
        int stage = feature / 2;
        if (feature % 2 == 0)
            return (Replace(rest, ("0.", $"stages.{stage}.downsample.0."), ("1.", $"stages.{stage}.downsample.1.")) ?? key, value);
        var b = ConvNeXtBlockKey().Match(rest);
        if (!b.Success) return (key, value);
        var prefix = $"stages.{stage}.blocks.{b.Groups["j"].Value}.";
        var layer = b.Groups["layer"].Value;
        if (layer == "layer_scale") return (prefix + "gamma", value.reshape(-1));
        var mapped = Replace(layer, ("block.0.", "conv_dw."), ("block.2.", "norm."), ("block.3.", "mlp.fc1."), ("block.5.", "mlp.fc2."));
        return (mapped is null ? key : prefix + mapped, value);
    }

    static string? Replace(string s, params (string From, string To)[] prefixes)
    {
        foreach (var (from, to) in prefixes)
            if (s.StartsWith(from, StringComparison.Ordinal)) return to + s[from.Length..];
        return null;
    }

    [GeneratedRegex(@"^features\.(?<f>\d+)\.(?<rest>.+)$")]
    private static partial Regex EfficientNetKey();

    [GeneratedRegex(@"^(?<j>\d+)\.block\.(?<layer>.+)$")]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^features\.(?<f>\d+)\.(?<rest>.+)$")]
    private static partial Regex ConvNeXtKey();

    [GeneratedRegex(@"^(?<j>\d+)\.(?<layer>layer_scale|block\..+)$")]
    private static partial Regex ConvNeXtBlockKey();
}
