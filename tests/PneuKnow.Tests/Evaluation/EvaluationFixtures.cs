using System.Text.Json;

namespace PneuKnow.Tests.Evaluation;

/// <summary>Locates the committed fixtures (made by Fixtures/Evaluation/make_metrics_fixtures.py) from the test binary's folder.</summary>
internal static class EvaluationFixtures
{
    public static string Folder { get; } = Locate();

    public static string Path(string file) => System.IO.Path.Combine(Folder, file);

    public static JsonElement Json(string file) => JsonDocument.Parse(File.ReadAllText(Path(file))).RootElement;

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "PneuKnow.Tests", "Fixtures", "Evaluation");
            if (Directory.Exists(candidate)) return candidate;
            candidate = System.IO.Path.Combine(dir.FullName, "Fixtures", "Evaluation");
            if (Directory.Exists(candidate) && File.Exists(System.IO.Path.Combine(candidate, "make_metrics_fixtures.py"))) return candidate;
        }
        throw new DirectoryNotFoundException($"Expected tests/PneuKnow.Tests/Fixtures/Evaluation above {AppContext.BaseDirectory}, found none.");
    }
}
