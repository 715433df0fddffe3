using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using PneuKnow.Runtime;

namespace PneuKnow.Study;

/// <summary>
/// Written as <c>study.json</c> into every study output folder: what produced it, so shards of
/// different presets or code versions are never merged into one table.
/// </summary>
/// <param name="Preset">Preset name.</param>
/// <param name="CodeVersion">Identity of the engine build (see <see cref="CurrentCodeVersion"/>).</param>
/// <param name="Shard">The shard this folder holds, <c>i/n</c>.</param>
/// <param name="Backbones">Backbones of the grid.</param>
/// <param name="Runs">Repeated runs of the grid (of every arm but the primary backbones' main arm when <paramref name="PrimaryRuns"/> is set).</param>
/// <param name="Units">Keys of the units this folder holds.</param>
/// <param name="Conditions">The data conditions of the grid (null in stamps written before conditions existed: the preset's own).</param>
/// <param name="Seed">The base seed the study ran with (null in stamps written before it was recorded: the preset's own).
/// A replication runs the same preset with another base seed (<c>reproduce --seed</c>).</param>
/// <param name="Machine">Where it ran: CPU model, libtorch version, thread count, device and oneDNN instruction set; results are
/// bit-reproducible only where all match (across CPUs the float kernels differ, which acts like another seed). Null in older stamps.</param>
/// <param name="PrimaryRuns">Repeated runs of the primary backbones' main arm (<see cref="StudyPreset.PrimaryRuns"/>, <c>primary_runs</c>);
/// null: <paramref name="Runs"/> in every arm, as in stamps written before per-arm counts existed (their studies ran that); then
/// not written, so such a stamp is byte for byte the one written before this key existed.</param>
/// <param name="Arms">The arms (<see cref="StudyVariant.Name"/>) of the grid, when <c>reproduce --arms</c> ran fewer than the preset's (a
/// replication of the primary arms); null (and then not written, as <paramref name="PrimaryRuns"/>): the preset's own.</param>
/// <param name="Precision">The number format every run trained in, when <c>reproduce --precision</c> chose one other than fp32; null (and
/// then not written, so stamps of fp32 studies stay as they were): fp32.</param>
public sealed record StudyStamp(string Preset, string CodeVersion, string Shard, IReadOnlyList<string> Backbones, int Runs, IReadOnlyList<string> Units,
    IReadOnlyList<StudyCondition>? Conditions = null, int? Seed = null, string? Machine = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? PrimaryRuns = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Arms = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Training.Precision? Precision = null)
{
    /// <summary>Where this process runs (<see cref="TorchRuntime.Machine"/>: what <see cref="Machine"/> records).</summary>
    public static string CurrentMachine() => TorchRuntime.Machine();

    /// <summary>File name inside a study folder.</summary>
    public const string FileName = "study.json";

    // Enums by their names as config files spell them (bf16-mixed); the stamp had no enum before Precision.
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// The engine's version plus its module version id: builds are deterministic, so the same
    /// source gives the same id and any code change gives another.
    /// </summary>
    public static string CurrentCodeVersion
    {
        get
        {
            var asm = typeof(StudyStamp).Assembly;
            var version = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
            return $"{version.Split('+')[0]}+{asm.ManifestModule.ModuleVersionId:N}";
        }
    }

    /// <summary>Writes <c>study.json</c> into <paramref name="dir"/> atomically.</summary>
    public void Write(string dir)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json));
    }

    /// <summary>Reads <c>study.json</c> of a study folder.</summary>
    /// <exception cref="InvalidDataException">Missing or malformed (primary_runs below runs included); the message names the file.</exception>
    public static StudyStamp Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path))
            throw new InvalidDataException($"{dir}: not a study folder (expected {FileName}, written by `pneuknow reproduce`).");
        try
        {
            var stamp = JsonSerializer.Deserialize<StudyStamp>(File.ReadAllText(path), Json)
                        ?? throw new InvalidDataException($"{path}: empty study stamp.");
            // The same rule as StudyPreset.RunsOf: pairs 0 … runs − 1 must exist in every arm.
            if (stamp.PrimaryRuns is { } primary && primary < stamp.Runs)
                throw new InvalidDataException($"{path}: expected primary_runs ≥ runs ({stamp.Runs}), found primary_runs {primary}.");
            return stamp;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed study stamp: {e.Message}", e);
        }
    }
}

/// <summary>Combines the folders of a sharded study into one.</summary>
public static class ShardMerge
{
    /// <summary>
    /// Copies every shard's <c>runs/</c> tree into <paramref name="outDir"/> and writes a merged
    /// stamp. Refuses shards of different presets, code versions, base seeds, backbones or run counts (the primary arms'
    /// included), and a run that two shards both hold.
    /// </summary>
    /// <returns>The merged stamp.</returns>
    /// <exception cref="InvalidDataException">Mismatched or overlapping shards; the message names both folders.</exception>
    public static StudyStamp Merge(IReadOnlyList<string> shardDirs, string outDir)
    {
        if (shardDirs.Count == 0) throw new ArgumentException("merge: expected at least one shard folder, found none.");
        var stamps = shardDirs.Select(d => (Dir: d, Stamp: StudyStamp.Read(d))).ToList();
        var first = stamps[0];
        foreach (var (dir, s) in stamps.Skip(1))
        {
            if (s.Preset != first.Stamp.Preset)
                throw new InvalidDataException($"merge: {dir} holds preset '{s.Preset}' but {first.Dir} holds '{first.Stamp.Preset}'; shards of different presets cannot be merged.");
            if (s.CodeVersion != first.Stamp.CodeVersion)
                throw new InvalidDataException($"merge: {dir} was made by code version {s.CodeVersion} but {first.Dir} by {first.Stamp.CodeVersion}; rerun the shards with one build.");
            if (s.Seed != first.Stamp.Seed)
                throw new InvalidDataException($"merge: {dir} ran with base seed {s.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(the preset's)"} but {first.Dir} with {first.Stamp.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(the preset's)"}; a replication is its own study, not a shard.");
            if (!(s.Arms ?? []).SequenceEqual(first.Stamp.Arms ?? []))
                throw new InvalidDataException($"merge: {dir} ran the arms [{string.Join(", ", s.Arms ?? ["(the preset's)"])}] but {first.Dir} [{string.Join(", ", first.Stamp.Arms ?? ["(the preset's)"])}]; shards of one study run the same arms.");
            if (s.Precision != first.Stamp.Precision)
                throw new InvalidDataException($"merge: {dir} trained in precision {PrecisionName(s)} but {first.Dir} in {PrecisionName(first.Stamp)}; shards of one study train in the same precision.");
            if (!s.Backbones.SequenceEqual(first.Stamp.Backbones) || s.Runs != first.Stamp.Runs || s.PrimaryRuns != first.Stamp.PrimaryRuns)
                throw new InvalidDataException($"merge: {dir} covers backbones [{string.Join(", ", s.Backbones)}] × {RunCounts(s)} but {first.Dir} covers [{string.Join(", ", first.Stamp.Backbones)}] × {RunCounts(first.Stamp)}.");
        }
        var owner = new Dictionary<string, string>();
        foreach (var (dir, s) in stamps)
        foreach (var unit in s.Units)
            if (!owner.TryAdd(unit, dir))
                throw new InvalidDataException($"merge: unit {unit} is in both {owner[unit]} and {dir}.");

        foreach (var (dir, _) in stamps)
        {
            var runs = Path.Combine(dir, "runs");
            if (!Directory.Exists(runs)) continue;
            foreach (var file in Directory.EnumerateFiles(runs, "*", SearchOption.AllDirectories))
            {
                var dest = Path.Combine(outDir, Path.GetRelativePath(dir, file));
                AtomicFile.Write(dest, temp => File.Copy(file, temp));
            }
        }
        var merged = first.Stamp with
        {
            Shard = $"merged from {stamps.Count} shard(s)",
            Units = stamps.SelectMany(t => t.Stamp.Units).OrderBy(u => u, StringComparer.Ordinal).ToList(),
        };
        merged.Write(outDir);
        return merged;
    }

    static string PrecisionName(StudyStamp s) => SnakeCase.Of(s.Precision ?? Training.Precision.Float32);

    // "12 runs", or "12 runs (primary arms 30)": what a shard ran, for the refusal above.
    static string RunCounts(StudyStamp s) => s.PrimaryRuns is { } p
        ? FormattableString.Invariant($"{s.Runs} runs (primary arms {p})")
        : FormattableString.Invariant($"{s.Runs} runs");
}
