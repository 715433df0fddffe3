using System.Text.Json.Nodes;

namespace PneuKnow.Training;

/// <summary>Explains why a run folder's identity differs from the run asked for, so a refusal names the setting.</summary>
static class RunIdentity
{
    /// <summary>
    /// The settings whose values differ between the <c>run.json</c> at <paramref name="recordedPath"/> and
    /// <paramref name="requestedJson"/>, as <c>"; differs: config.initialisation (random:1 → pretrained:ab…)"</c>;
    /// empty when the file is missing or unreadable (the caller's message stands on its own then).
    /// </summary>
    public static string Differences(string recordedPath, string requestedJson)
    {
        JsonNode? recorded, requested;
        try
        {
            if (!File.Exists(recordedPath)) return "";
            recorded = JsonNode.Parse(File.ReadAllText(recordedPath));
            requested = JsonNode.Parse(requestedJson);
        }
        catch (System.Text.Json.JsonException) { return ""; }
        var a = new Dictionary<string, string>(StringComparer.Ordinal);
        var b = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(recorded, "", a);
        Flatten(requested, "", b);
        a.Remove("key");
        b.Remove("key");
        var diffs = a.Keys.Union(b.Keys).Order(StringComparer.Ordinal)
            .Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k))
            .Select(k => $"{k} ({a.GetValueOrDefault(k) ?? "absent"} → {b.GetValueOrDefault(k) ?? "absent"})")
            .ToList();
        return diffs.Count == 0 ? "" : "; differs: " + string.Join(", ", diffs.Take(6)) + (diffs.Count > 6 ? $" and {diffs.Count - 6} more" : "");
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
