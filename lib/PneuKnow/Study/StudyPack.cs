using System.IO.Compression;
using PneuKnow.Data;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>
/// Packs a study's finished runs into one <see cref="RunPack"/> per unit (<c>runs/&lt;unit&gt;/runs.tar.br</c>), and unpacks
/// them again: the step that keeps a committed study within its size budget (docs/study-design.md, "Committed runs are
/// packed"). Every reader of a run (the tables, claims, decision regions, notebooks, resume) reads a packed run as it
/// reads a folder, so a packed study reports and continues exactly as before.
/// </summary>
/// <remarks>
/// A run is packed when it has finished (<c>result.json</c>); a teacher only when its student of the same k has finished
/// too (a student still to train needs the teacher's <c>best.pt</c>); a main-arm run (<c>*_do_*</c> units) only when it
/// carries its decision-region scores (<c>decision_regions.json</c>), else the call refuses before it writes anything
/// (a clone without checkpoints could not score it). The same rules as <c>tools/study/finished-runs.sh</c>. Packed are
/// the run's files (a <c>X.csv.gz</c> as its plain <c>X.csv</c>, so the pack compresses across runs); checkpoints
/// (<c>*.pt</c>, <c>checkpoint/</c>) stay in the run folder, which is removed once empty. The pack is written atomically
/// before any file is removed, so a killed call leaves at worst a run in both places, which readers refuse (naming both)
/// and which packing again resolves when both copies agree byte for byte.
/// </remarks>
public static class StudyPack
{
    /// <summary>What one call did to one unit.</summary>
    /// <param name="Unit">The unit's folder name.</param>
    /// <param name="Packed">Runs added to the pack by this call (<c>role/run_k</c>).</param>
    /// <param name="Total">Runs the pack holds after the call.</param>
    /// <param name="PackBytes">The pack's size after the call (0 when the unit has none).</param>
    public sealed record UnitPacked(string Unit, IReadOnlyList<string> Packed, int Total, long PackBytes);

    /// <summary>Packs the finished runs of every unit of <paramref name="studyDir"/> (see the class remarks).</summary>
    /// <exception cref="InvalidDataException">No <c>runs/</c> folder, or a finished main-arm run without its scores (nothing is written then).</exception>
    /// <exception cref="DataException">A run file differs between its folder and the pack already holding that run.</exception>
    public static IReadOnlyList<UnitPacked> Pack(string studyDir)
    {
        var units = Units(studyDir);
        // Every check first, so that a refusal changes nothing.
        var plan = units.Select(u => (Unit: u, Runs: Packable(u))).ToList();
        var results = new List<UnitPacked>();
        foreach (var (unit, runs) in plan)
        {
            var pack = Path.Combine(unit, RunPack.FileName);
            var entries = new SortedDictionary<string, byte[]>(RunPack.Entries(pack).ToDictionary(), StringComparer.Ordinal);
            var added = new List<string>();
            var toRemove = new List<string>();
            foreach (var run in runs)
            {
                var name = $"{Path.GetFileName(Path.GetDirectoryName(run))}/{Path.GetFileName(run)}";
                bool already = entries.Keys.Any(k => k.StartsWith(name + "/", StringComparison.Ordinal));
                foreach (var (file, entry, bytes) in FilesOf(run, name))
                {
                    if (already)
                    {
                        // An earlier call packed this run and was stopped before it removed the folder's files.
                        if (!entries.TryGetValue(entry, out var packed) || !packed.AsSpan().SequenceEqual(bytes))
                            throw RunFile.Both(Path.Combine(run, entry[(name.Length + 1)..]));
                    }
                    else entries[entry] = bytes;
                    toRemove.Add(file);
                }
                if (!already) added.Add(name);
            }
            if (added.Count > 0) AtomicFile.WriteAllBytes(pack, RunPack.Encode(entries));
            foreach (var file in toRemove) File.Delete(file);
            foreach (var run in runs)
                if (Directory.Exists(run) && !Directory.EnumerateFileSystemEntries(run).Any()) Directory.Delete(run);
            foreach (var role in Directory.GetDirectories(unit))
                if (!Directory.EnumerateFileSystemEntries(role).Any()) Directory.Delete(role);
            results.Add(new UnitPacked(Path.GetFileName(unit), added, RunCount(entries.Keys), File.Exists(pack) ? new FileInfo(pack).Length : 0));
        }
        return results;
    }

    /// <summary>
    /// Writes every packed run of <paramref name="studyDir"/> back into its run folder as plain files and removes the packs:
    /// for a run to be scored or trained again, or to read its files by hand.
    /// </summary>
    /// <exception cref="DataException">A packed file that also exists in its run folder (plain or gzip-compressed).</exception>
    /// <returns>The number of runs unpacked.</returns>
    public static int Unpack(string studyDir)
    {
        int runs = 0;
        foreach (var unit in Units(studyDir))
        {
            var pack = Path.Combine(unit, RunPack.FileName);
            if (!File.Exists(pack)) continue;
            var entries = RunPack.Entries(pack);
            foreach (var entry in entries.Keys)
            {
                var path = Path.Combine(unit, entry.Replace('/', Path.DirectorySeparatorChar));
                if (File.Exists(path) || File.Exists(path + Csv.GzipSuffix)) throw RunFile.Both(File.Exists(path) ? path : path + Csv.GzipSuffix);
            }
            foreach (var (entry, bytes) in entries)
                AtomicFile.WriteAllBytes(Path.Combine(unit, entry.Replace('/', Path.DirectorySeparatorChar)), bytes);
            runs += RunCount(entries.Keys);
            File.Delete(pack);
        }
        return runs;
    }

    static IReadOnlyList<string> Units(string studyDir)
    {
        var runs = Path.Combine(studyDir, "runs");
        if (!Directory.Exists(runs)) throw new InvalidDataException($"{studyDir}: expected a study folder with runs/, found no {runs}.");
        return Directory.GetDirectories(runs).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
    }

    static int RunCount(IEnumerable<string> entries) =>
        entries.Select(e => string.Join('/', e.Split('/').Take(2))).Distinct(StringComparer.Ordinal).Count();

    // The finished run folders of a unit that may be packed (the class remarks), holding files to pack.
    static IReadOnlyList<string> Packable(string unit)
    {
        bool mainArm = Path.GetFileName(unit).Contains("_do_", StringComparison.Ordinal);
        var packable = new List<string>();
        foreach (var role in Directory.GetDirectories(unit).Order(StringComparer.Ordinal))
            foreach (var run in Directory.GetDirectories(role, RunFolder.NamePrefix + "*").Order(StringComparer.Ordinal))
            {
                var folder = new RunFolder(run);
                // A packed run whose folder still holds some of its files (a call stopped while it removed them, in any
                // order): taken again, so that Pack checks them against the pack and removes them.
                if (RunPack.HoldsRun(run))
                {
                    if (Directory.GetFiles(run).Any(f => IsPackable(Path.GetFileName(f)))) packable.Add(folder.Directory);
                    continue;
                }
                if (!File.Exists(folder.Result)) continue;
                if (Path.GetFullPath(role) == Path.GetFullPath(Experiment.RoleFolder(unit, Distillation.Role.Teacher)))
                {
                    var student = Path.Combine(Experiment.RoleFolder(unit, Distillation.Role.Student), Path.GetFileName(run), RunFolder.ResultFileName);
                    if (!File.Exists(student) && !RunPack.Contains(student)) continue;
                }
                if (mainArm && !File.Exists(folder.ScoresStamp))
                    throw new InvalidDataException($"{run}: expected a finished main-arm run to carry its scores ({RunFolder.ScoresStampFileName}) before it is packed, " +
                        "found none; run the study again here to score it (nothing was packed).");
                packable.Add(folder.Directory);
            }
        return packable;
    }

    // Checkpoints stay in the run folder, and a write's leftover temporary file is no run file.
    static bool IsPackable(string fileName) => !fileName.EndsWith(".pt", StringComparison.Ordinal) && !AtomicFile.IsTempFile(fileName);

    // The files of a run that go into the pack: (file in the folder, entry name, bytes), a X.csv.gz as X.csv.
    static IEnumerable<(string File, string Entry, byte[] Bytes)> FilesOf(string run, string name)
    {
        foreach (var file in Directory.GetFiles(run).Order(StringComparer.Ordinal))
        {
            var fileName = Path.GetFileName(file);
            if (!IsPackable(fileName)) continue;
            if (fileName.EndsWith(".csv" + Csv.GzipSuffix, StringComparison.Ordinal))
            {
                using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gzip.CopyTo(plain);
                var csvName = fileName[..^Csv.GzipSuffix.Length];
                if (File.Exists(Path.Combine(run, csvName)))
                    throw new DataException(file, null, null, $"expected the file either plain or gzip-compressed, found both {Path.Combine(run, csvName)} and {file}; delete the stale one.");
                yield return (file, $"{name}/{csvName}", plain.ToArray());
            }
            else yield return (file, $"{name}/{fileName}", File.ReadAllBytes(file));
        }
    }
}
