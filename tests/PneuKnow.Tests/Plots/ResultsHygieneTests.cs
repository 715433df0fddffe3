namespace PneuKnow.Tests.Plots;

public class ResultsHygieneTests
{
    [Fact]
    public void A_cdn_script_or_an_absolute_path_is_found_and_named()
    {
        var dir = Directory.CreateTempSubdirectory("pneuknow-hygiene-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "figures"));
            File.WriteAllText(Path.Combine(dir, "figures", "ok.html"), "<script src=\"plotly.min.js\"></script> see https://doi.org/10.1038/x and ../data/raw");
            File.WriteAllText(Path.Combine(dir, "figures", "plotly.min.js"), "topojsonURL:{dflt:\"https://cdn.plot.ly/\"}");
            Assert.Empty(ResultsHygiene.Violations(dir));

            File.WriteAllText(Path.Combine(dir, "figures", "cdn.html"), "<script src=\"https://cdn.plot.ly/plotly-2.28.0.min.js\"></script>");
            File.WriteAllText(Path.Combine(dir, "nb.ipynb"), "{\"text\": \"results in /tmp/fresh-q2/study\"}");
            File.WriteAllText(Path.Combine(dir, "run.json"), "{\"data\": \"C:\\\\Users\\\\me\\\\data\"}");
            var found = ResultsHygiene.Violations(dir);
            Assert.Equal(3, found.Count);
            Assert.Contains(found, f => f.StartsWith(Path.Combine("figures", "cdn.html") + ": references a CDN (https://cdn.plot.ly/plotly-2.28.0", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("nb.ipynb: contains an absolute path (/tmp/fresh-q2/study", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("run.json: contains an absolute path", StringComparison.Ordinal));
        }
        finally { Directory.Delete(dir, true); }
    }
}
