using System.Text.Json.Nodes;

namespace PneuKnow.Training;

/// <summary>
/// Compares a run folder's recorded identity (its <see cref="RunRecord"/>) with the run asked for: names the settings that
/// differ, so a refusal can say which, and recognises a run that was only moved to another place. Settings are named as in
/// <c>run.json</c> (<c>epochs</c>, <c>config.initialisation</c>, <c>config.stage.resolution</c>…); both records hold
/// absolute paths, so a relative path of the new file form and an absolute one of earlier code compare alike.
/// </summary>
public static class RunIdentity
{
    /// <summary>
    /// The settings whose values differ between <paramref name="recorded"/> and <paramref name="requested"/>, as
    /// <c>"; differs: config.initialisation ("random:1" → "pretrained:ab…")"</c>; empty when nothing was recorded (a missing
    /// or unreadable <c>run.json</c>: the caller's message stands on its own then) or nothing but the key differs.
    /// </summary>
    public static string Differences(RunRecord? recorded, RunRecord requested)
    {
        if (recorded is null) return "";
        var (a, b) = (Settings(recorded), Settings(requested));
        var diffs = a.Keys.Union(b.Keys).Order(StringComparer.Ordinal)
            .Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k))
            .Select(k => $"{k} ({a.GetValueOrDefault(k) ?? "absent"} → {b.GetValueOrDefault(k) ?? "absent"})")
            .ToList();
        return diffs.Count == 0 ? "" : "; differs: " + string.Join(", ", diffs.Take(6)) + (diffs.Count > 6 ? $" and {diffs.Count - 6} more" : "");
    }

    /// <summary>
    /// The settings that name a place on disk. A run folder moved to another clone (a study's finished runs committed on
    /// one machine and continued on another) differs from the requested run only in these.
    /// </summary>
    static readonly HashSet<string> LocationSettings = new(StringComparer.Ordinal)
    {
        "config.raw_data_dir", "config.roi_data_dir", "config.metadata_file", "config.teacher_run",
    };

    /// <summary>How many trailing path components identify a location: the data set's folder (its name encodes the
    /// generator's settings) and its leaf, or a teacher's <c>&lt;unit&gt;/teacher/run_k</c>.</summary>
    const int LocationComponents = 3;

    /// <summary>
    /// Whether <paramref name="recorded"/> is the run of <paramref name="requested"/>, possibly moved to another place: every
    /// setting is equal except paths (<see cref="LocationSettings"/>), and each of those agrees in its last three components
    /// (<c>generated/phantom-…/raw</c>, <c>&lt;unit&gt;/teacher/run_0</c>). The trainer asks only when the recorded key differs
    /// from the requested one. The key hashes absolute paths (it always has, and committed runs carry such keys), so a run
    /// moved elsewhere has another key: one of earlier code records absolute paths of its old place, one of this code
    /// records paths relative to its folder, which resolve to the new place (then nothing but the key differs). Without
    /// this a study's finished runs, committed from one clone, could not be continued from another. False when nothing
    /// was recorded or when anything else differs.
    /// </summary>
    public static bool IsRelocation(RunRecord? recorded, RunRecord requested)
    {
        if (recorded is null) return false;
        var (a, b) = (Settings(recorded), Settings(requested));
        var differing = a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k)).ToList();
        return differing.All(k =>
            LocationSettings.Contains(k) && Tail(a.GetValueOrDefault(k)) is { } x && Tail(b.GetValueOrDefault(k)) is { } y && x == y);
    }

    /// <summary>Every setting of a record but its key, by its dotted name in <c>run.json</c>, as JSON text.</summary>
    static Dictionary<string, string> Settings(RunRecord record)
    {
        var into = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten((record with { Key = null }).ToNode(), "", into);
        return into;
    }

    /// <summary>The last <see cref="LocationComponents"/> components of a flattened JSON string value, or null when it is not a string path that long.</summary>
    static string? Tail(string? flattened)
    {
        if (flattened is null) return null;
        string? path;
        try { path = JsonNode.Parse(flattened) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null; }
        catch (System.Text.Json.JsonException) { return null; }
        if (path is null) return null;
        var parts = path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length < LocationComponents ? null : string.Join('/', parts[^LocationComponents..]);
    }

    static void Flatten(JsonNode? node, string prefix, Dictionary<string, string> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Flatten(v, prefix.Length == 0 ? k : $"{prefix}.{k}", into);
                break;
            default:
                into[prefix] = node?.ToJsonString() ?? "null";
                break;
        }
    }
}
