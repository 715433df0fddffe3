namespace PneuKnow.Data;

/// <summary>
/// The checks of a loaded manifest that every command reading one applies in the same way (<c>data check</c>, <c>data
/// split</c>, <c>train</c> and the study's units), beyond the per-row checks of <see cref="Manifest.Load"/>: one place, so
/// that a manifest <c>data check</c> refuses is never trained on.
/// </summary>
public static class ManifestChecks
{
    /// <summary>The authors' five labels (B bacterial, C COVID-19, NB healthy, P fungal, V viral).</summary>
    public static readonly IReadOnlyList<string> KnownClasses = ["B", "C", "NB", "P", "V"];

    /// <summary>
    /// Refuses labels outside <see cref="KnownClasses"/> unless the manifest was loaded with an explicit class list
    /// (<see cref="ManifestOptions.Classes"/>): without one the class codes follow the sorted labels found, and a stray
    /// <c>X</c> or <c>p</c> beside <c>P</c> would silently make a sixth class and a six-way head.
    /// </summary>
    /// <param name="manifest">The loaded manifest.</param>
    /// <param name="remedy">What the caller can do instead, e.g. "pass --classes with the full class list in code order to use other labels".</param>
    /// <exception cref="DataException">Labels outside the known five and no explicit class list; names the labels and the nearest known one.</exception>
    public static void Check(Manifest manifest, string remedy)
    {
        if (manifest.Options.Classes is not null) return;
        var unknown = manifest.Classes.Where(c => !KnownClasses.Contains(c)).ToList();
        if (unknown.Count == 0) return;
        var hints = unknown.Select(u => Nearest(u) is { } k ? $"'{u}' (did you mean '{k}'?)" : $"'{u}'").ToList();
        var rows = manifest.Records.Where(r => unknown.Contains(r.ClassLabel)).Take(3).Select(r => r.Line).ToList();
        throw new DataException(manifest.Path, rows.Count > 0 ? rows[0] : null, "class",
            $"expected the labels {string.Join(", ", KnownClasses)}, found also {string.Join(", ", hints)}; {remedy} (labels found: {string.Join(",", manifest.Classes)}).");
    }

    /// <summary>The known label written in another case or with stray spaces (<c>p</c>, <c>nb </c>); null when none.</summary>
    static string? Nearest(string label) =>
        KnownClasses.FirstOrDefault(k => string.Equals(k, label.Trim(), StringComparison.OrdinalIgnoreCase));
}
