using System.Globalization;
using PneuKnow.Distillation;
using PneuKnow.Runtime;

namespace PneuKnow.Evaluation;

/// <summary>
/// One published result: mean ± std per metric for one experiment and role, with the split and recipe it
/// comes from. Metric names use the authors' class names (<c>bacterial_precision</c>, ...) and <c>accuracy</c>.
/// </summary>
/// <param name="Table">Experiment group (<c>do</c>, <c>nodo</c>, <c>roi</c>, ...).</param>
/// <param name="Experiment">The authors' experiment name, e.g. <c>ConvNeXt_small_KD_30roi</c>.</param>
/// <param name="Role">Baseline, teacher or student (the file's <c>role</c> column in snake_case).</param>
/// <param name="Backbone">The authors' backbone name, e.g. <c>ConvNeXt_small</c>, <c>EB0</c>.</param>
/// <param name="Split">Which images the numbers are measured on.</param>
/// <param name="Recipe">How the models were trained.</param>
/// <param name="Metrics">Mean and std per metric.</param>
public sealed record PublishedResult(string Table, string Experiment, Role Role, string Backbone, string Split, string Recipe,
    IReadOnlyDictionary<string, Spread> Metrics);

/// <summary>
/// The published numbers of Schaudt et al. 2023 (doi 10.1038/s41598-023-36148-7) as transcribed in
/// <c>data/paper-reference/published-metrics.csv</c>.
/// </summary>
/// <param name="Source">The file read.</param>
/// <param name="Results">One entry per row.</param>
public sealed record PublishedMetrics(string Source, IReadOnlyList<PublishedResult> Results)
{
    /// <summary>The paper's citation.</summary>
    public const string Citation = "Schaudt et al., Sci Rep 13, 9203 (2023), doi 10.1038/s41598-023-36148-7";

    /// <summary>PneuKnow class code → the authors' class name in the published columns.</summary>
    public static readonly IReadOnlyDictionary<string, string> ClassNames = new Dictionary<string, string>
    {
        ["B"] = "bacterial", ["C"] = "covid19", ["NB"] = "healthy", ["P"] = "fungal", ["V"] = "viral",
    };

    /// <summary>timm architecture name → the authors' backbone name.</summary>
    public static readonly IReadOnlyDictionary<string, string> BackboneNames = new Dictionary<string, string>
    {
        ["convnext_small"] = "ConvNeXt_small", ["convnext_tiny"] = "ConvNeXt_tiny", ["efficientnet_b0"] = "EB0",
        ["efficientnet_b1"] = "EB1", ["resnet50"] = "ResNet50",
    };

    /// <summary>
    /// The authors' experiment name: <c>&lt;Backbone&gt;_Baseline[_suffix]</c> or <c>&lt;Backbone&gt;_KD[_suffix]</c>
    /// (suffix e.g. <c>nodo</c>, <c>weakaug</c>, <c>noroi</c>, <c>30roi</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An architecture the authors did not report.</exception>
    public static string ExperimentName(string timmArchitecture, bool distilled, string suffix = "")
    {
        if (!BackboneNames.TryGetValue(timmArchitecture, out var backbone))
            throw new ArgumentException($"Expected one of the published architectures {string.Join(", ", BackboneNames.Keys)}, found '{timmArchitecture}'.", nameof(timmArchitecture));
        return $"{backbone}_{(distilled ? "KD" : "Baseline")}{(suffix.Length > 0 ? "_" + suffix : "")}";
    }

    /// <summary>The result of <paramref name="experiment"/> for <paramref name="role"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such row; the message lists the roles available for the experiment or similar experiment names.</exception>
    public PublishedResult Find(string experiment, Role role)
    {
        var hit = Results.FirstOrDefault(r => r.Experiment == experiment && r.Role == role);
        if (hit is not null) return hit;
        var roles = Results.Where(r => r.Experiment == experiment).Select(r => SnakeCase.Of(r.Role)).ToArray();
        throw new KeyNotFoundException(roles.Length > 0
            ? $"{Source}: experiment '{experiment}' has roles {string.Join(", ", roles)}, not '{SnakeCase.Of(role)}'."
            : $"{Source}: expected an experiment such as {string.Join(", ", Results.Select(r => r.Experiment).Distinct().Take(6))}, found '{experiment}'.");
    }

    /// <summary>Reads the transcribed CSV (through <see cref="Data.Csv"/>; <c>&lt;metric&gt;_mean</c>/<c>&lt;metric&gt;_std</c> column pairs).</summary>
    /// <exception cref="InvalidDataException">Missing columns, a malformed number, malformed quoting or a wrong column count; names file, row and column.</exception>
    public static PublishedMetrics Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: published metrics file not found.", path);
        Data.CsvTable table;
        try { table = Data.Csv.Read(path); }
        catch (Data.DataException e) { throw new InvalidDataException(e.Message, e); }
        if (table.Rows.Count == 0) throw new InvalidDataException($"{path}: expected at least one row after the header, found none.");
        var header = table.Header.ToArray();
        string[] required = ["table", "experiment", "role", "backbone", "split", "recipe", "accuracy_mean", "accuracy_std"];
        foreach (var r in required)
            if (!header.Contains(r)) throw new InvalidDataException($"{path}, row 1: expected a column '{r}', found columns {string.Join(",", header)}.");
        int Col(string name) => Array.IndexOf(header, name);
        var metrics = header.Where(h => h.EndsWith("_mean", StringComparison.Ordinal)).Select(h => h[..^5]).ToArray();
        foreach (var m in metrics)
            if (Col(m + "_std") < 0) throw new InvalidDataException($"{path}, row 1: expected a column '{m}_std' beside '{m}_mean', found none.");
        var results = new List<PublishedResult>();
        foreach (var (line, f) in table.Rows)
        {
            if (f.Length != header.Length) throw new InvalidDataException($"{path}, row {line}: expected {header.Length} columns, found {f.Length}.");
            double Number(string column)
            {
                var text = f[Col(column)];
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                    : throw new InvalidDataException($"{path}, row {line}, column {column}: expected a number, found '{text}'.");
            }
            var values = metrics.ToDictionary(m => m, m => new Spread(Number(m + "_mean"), Number(m + "_std"), 5, 0));
            var role = SnakeCase.Parse<Role>(f[Col("role")], $"{path}, row {line}, column role", error: m => new InvalidDataException(m));
            results.Add(new PublishedResult(f[Col("table")], f[Col("experiment")], role, f[Col("backbone")], f[Col("split")], f[Col("recipe")], values));
        }
        return new PublishedMetrics(path, results);
    }
}
