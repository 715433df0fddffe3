using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>A key whose tensor has another shape in the file than in the model.</summary>
/// <param name="Key">The model's (timm) key.</param>
/// <param name="Expected">Shape in the model.</param>
/// <param name="Found">Shape in the file.</param>
public sealed record ShapeMismatch(string Key, long[] Expected, long[] Found)
{
    /// <inheritdoc />
    public override string ToString() => $"{Key}: model [{string.Join(", ", Expected)}], file [{string.Join(", ", Found)}]";
}

/// <summary>What loading a state dict into a backbone did.</summary>
/// <param name="Path">The weight file.</param>
/// <param name="Format"><c>safetensors</c> or <c>pytorch</c>.</param>
/// <param name="TorchvisionNames">True when the file used torchvision's names and was translated to timm's.</param>
/// <param name="Loaded">Number of tensors copied into the model.</param>
/// <param name="Missing">Model keys absent from the file (besides BatchNorm step counters and the classifier).</param>
/// <param name="Unexpected">File keys (after translation) the model does not have.</param>
/// <param name="ShapeMismatches">Keys present in both with different shapes (besides the classifier).</param>
/// <param name="HeadReinitialised">Classifier keys kept at their fresh initialisation: other class count in the file, or absent.</param>
/// <param name="CountersKept">BatchNorm <c>num_batches_tracked</c> counters absent from the file (they do not affect outputs).</param>
public sealed record WeightImportReport(
    string Path,
    string Format,
    bool TorchvisionNames,
    int Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> ShapeMismatches,
    IReadOnlyList<string> HeadReinitialised,
    IReadOnlyList<string> CountersKept)
{
    /// <summary>True when every model tensor came from the file (apart from a re-initialised head).</summary>
    public bool Complete => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>Multi-line human summary naming every problem key.</summary>
    public override string ToString()
    {
        var lines = new List<string>
        {
            $"{Path} ({Format}{(TorchvisionNames ? ", torchvision names mapped to timm's" : "")}): {Loaded} tensors loaded",
        };
        if (HeadReinitialised.Count > 0) lines.Add($"  head re-initialised (other class count or absent in the file): {string.Join(", ", HeadReinitialised)}");
        if (CountersKept.Count > 0) lines.Add($"  {CountersKept.Count} BatchNorm num_batches_tracked counters absent, kept at 0");
        lines.AddRange(Missing.Select(k => $"  missing in file: {k}"));
        lines.AddRange(Unexpected.Select(k => $"  unexpected in file: {k}"));
        lines.AddRange(ShapeMismatches.Select(m => $"  shape mismatch: {m}"));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Weights that do not fit the model; <see cref="Report"/> lists every offending key.</summary>
public sealed class WeightImportException : Exception
{
    /// <summary>Creates the exception from a report.</summary>
    public WeightImportException(WeightImportReport report)
        : base($"weights do not fit the model ({report.Missing.Count} missing, {report.Unexpected.Count} unexpected, " +
               $"{report.ShapeMismatches.Count} shape-mismatched keys; pass --allow-partial / AllowPartial to load the rest):{Environment.NewLine}{report}")
        => Report = report;

    /// <summary>What was found.</summary>
    public WeightImportReport Report { get; }
}

/// <summary>Loads timm or torchvision state dicts into PneuKnow backbones.</summary>
public static class WeightImport
{
    /// <summary>
    /// Copies a state dict file into <paramref name="model"/>. torchvision names are translated when the model
    /// implements <see cref="IReferenceNaming"/>; a classifier of another class count is left at its fresh
    /// initialisation and reported. Nothing is copied when the file does not fit and <paramref name="allowPartial"/> is false.
    /// </summary>
    /// <exception cref="WeightImportException">Missing, unexpected or shape-mismatched keys and not <paramref name="allowPartial"/>.</exception>
    /// <exception cref="InvalidDataException">Unreadable file.</exception>
    public static WeightImportReport Load(nn.Module model, string path, bool allowPartial = false)
    {
        var source = StateDictFile.Read(path, out var format);
        try
        {
            return Load(model, source, path, format, allowPartial);
        }
        finally
        {
            foreach (var t in source.Values) t.Dispose();
        }
    }

    /// <summary>As <see cref="Load(nn.Module, string, bool)"/> for a state dict already in memory.</summary>
    public static WeightImportReport Load(nn.Module model, IReadOnlyDictionary<string, Tensor> source, string origin, string format, bool allowPartial)
    {
        var naming = model as IReferenceNaming;
        bool torchvision = naming?.IsTorchvision(source.Keys.ToList()) ?? false;
        var translated = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var (key, value) in source)
        {
            var (k, v) = torchvision ? naming!.FromTorchvision(key, value) : (key, value);
            if (!translated.TryAdd(k, v)) unexpected.Add($"{key} (maps to {k}, already given)");
        }

        var target = model.state_dict();
        var classifier = new HashSet<string>(naming?.ClassifierKeys ?? Array.Empty<string>(), StringComparer.Ordinal);
        var missing = new List<string>();
        var counters = new List<string>();
        var mismatches = new List<ShapeMismatch>();
        var head = new List<string>();
        var copies = new List<(Tensor To, Tensor From)>();
        foreach (var (key, dest) in target)
        {
            if (!translated.TryGetValue(key, out var src))
            {
                if (classifier.Contains(key)) head.Add(key);
                else if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) counters.Add(key);
                else missing.Add(key);
                continue;
            }
            if (!src.shape.SequenceEqual(dest.shape))
            {
                if (classifier.Contains(key)) head.Add(key);
                else mismatches.Add(new ShapeMismatch(key, dest.shape, src.shape));
                continue;
            }
            copies.Add((dest, src));
        }
        unexpected.AddRange(translated.Keys.Where(k => !target.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal));
        // A head is replaced as a whole: a matching bias next to a re-initialised weight would be meaningless.
        if (head.Count > 0)
        {
            copies.RemoveAll(c => target.Any(t => classifier.Contains(t.Key) && ReferenceEquals(t.Value, c.To)));
            head = classifier.Where(target.ContainsKey).ToList();
        }
        try
        {
            var report = new WeightImportReport(origin, format, torchvision, copies.Count, missing, unexpected, mismatches, head, counters);
            if (!report.Complete && !allowPartial) throw new WeightImportException(report);
            using (no_grad())
                foreach (var (to, from) in copies)
                    to.copy_(from.to(to.dtype, to.device));
            return report;
        }
        finally
        {
            // Translation may have made new tensors (reshaped layer scales); the caller owns only the source ones.
            var owned = new HashSet<Tensor>(source.Values, ReferenceEqualityComparer.Instance);
            foreach (var v in translated.Values)
                if (!owned.Contains(v)) v.Dispose();
        }
    }
}
