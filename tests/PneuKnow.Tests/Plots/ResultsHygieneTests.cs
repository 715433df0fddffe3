using System.IO.Compression;
using PneuKnow.Study;
using PneuKnow.Tests.Notebooks;

namespace PneuKnow.Tests.Plots;

public class ResultsHygieneTests
{
    [Fact]
    public void A_cdn_script_an_absolute_path_or_a_figure_without_its_png_is_found_and_named()
    {
        var dir = Directory.CreateTempSubdirectory("pneuknow-hygiene-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "figures"));
            File.WriteAllText(Path.Combine(dir, "figures", "ok.html"), "<script src=\"plotly.min.js\"></script> see https://doi.org/10.1038/x and ../data/raw");
            File.WriteAllBytes(Path.Combine(dir, "figures", "ok.png"), [0x89, 0x50]);
            File.WriteAllText(Path.Combine(dir, "figures", "plotly.min.js"), "topojsonURL:{dflt:\"https://cdn.plot.ly/\"} a:\\n");
            // A page of a study folder under a folder that holds the shared copy (results/reference/<study>/figures/).
            var study = Directory.CreateDirectory(Path.Combine(dir, "shared", "study", "figures")).FullName;
            File.WriteAllText(Path.Combine(dir, "shared", "plotly.min.js"), "shared copy");
            File.WriteAllText(Path.Combine(study, "up.html"), "<html><head><script src=\"../../plotly.min.js\" charset=\"utf-8\"></script>");
            File.WriteAllBytes(Path.Combine(study, "up.png"), [0x89, 0x50]);
            Assert.Empty(ResultsHygiene.Violations(dir));
            Assert.Equal([("../../plotly.min.js", (string?)Path.Combine(dir, "shared", "plotly.min.js"))], ResultsHygiene.PlotlyScripts(Path.Combine(study, "up.html")));

            // A script source that resolves to nothing, and one that is a URL but no known CDN.
            File.WriteAllText(Path.Combine(study, "gone.html"), "<script type=\"text/javascript\" src='../plotly.min.js'></script>");
            File.WriteAllBytes(Path.Combine(study, "gone.png"), [0x89, 0x50]);
            File.WriteAllText(Path.Combine(study, "web.html"), "<script src=\"//example.org/js/plotly-2.27.min.js\"></script>");
            File.WriteAllBytes(Path.Combine(study, "web.png"), [0x89, 0x50]);
            var scripts = ResultsHygiene.Violations(dir);
            Assert.Equal(2, scripts.Count);
            Assert.Contains(Path.Combine("shared", "study", "figures", "gone.html") + ": loads plotly.js from ../plotly.min.js, which does not exist ("
                + Path.Combine("shared", "study", "plotly.min.js") + ")", scripts);
            Assert.Contains(Path.Combine("shared", "study", "figures", "web.html") + ": loads plotly.js from the network (//example.org/js/plotly-2.27.min.js)", scripts);
            Directory.Delete(Path.Combine(dir, "shared"), recursive: true);
            Assert.Empty(ResultsHygiene.Violations(dir));

            File.WriteAllText(Path.Combine(dir, "figures", "cdn.html"), "<script src=\"https://cdn.plot.ly/plotly-2.28.0.min.js\"></script>");
            File.WriteAllText(Path.Combine(dir, "nb.ipynb"), "{\"text\": \"results in /tmp/fresh-q2/study\"}");
            File.WriteAllText(Path.Combine(dir, "run.json"), "{\"data\": \"C:\\\\Users\\\\me\\\\data\"}");
            using (var gz = new GZipStream(File.Create(Path.Combine(dir, "scores.csv.gz")), CompressionLevel.SmallestSize))
                gz.Write("file,path\nimg1.png,/home/me/data/img1.png\n"u8);
            // A unit's run pack is read entry by entry.
            var unit = Directory.CreateDirectory(Path.Combine(dir, "runs", "u")).FullName;
            File.WriteAllBytes(Path.Combine(unit, PneuKnow.Data.RunPack.FileName), PneuKnow.Data.RunPack.Encode(new Dictionary<string, byte[]>
            {
                ["baseline/run_0/run.json"] = "{\"data\": \"/work/main/data/generated\"}"u8.ToArray(),
                ["baseline/run_0/log.csv"] = "epochs\n0\n"u8.ToArray(),
            }));
            var found = ResultsHygiene.Violations(dir);
            Assert.Contains(found, f => f.StartsWith(Path.Combine("runs", "u", "runs.tar.br") + ":baseline/run_0/run.json: contains an absolute path (/work/main/data", StringComparison.Ordinal));
            Assert.Equal(7, found.Count);
            Assert.Contains(found, f => f.StartsWith(Path.Combine("figures", "cdn.html") + ": references a CDN (https://cdn.plot.ly/plotly-2.28.0", StringComparison.Ordinal));
            Assert.Contains(Path.Combine("figures", "cdn.html") + ": loads plotly.js from the network (https://cdn.plot.ly/plotly-2.28.0.min.js)", found);
            Assert.Contains(found, f => f.StartsWith(Path.Combine("figures", "cdn.html") + ": an HTML figure without its PNG (cdn.png missing)", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("nb.ipynb: contains an absolute path (/tmp/fresh-q2/study", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("run.json: contains an absolute path", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("scores.csv.gz: contains an absolute path (/home/me/data", StringComparison.Ordinal));
            Assert.Equal(3, ResultsHygiene.Violations(dir, absolutePaths: false).Count);

            // du -sb: the files' bytes and 4096 per folder (the folder itself, figures/, runs/ and runs/u/).
            long files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Assert.Equal(files + 4 * ResultsHygiene.FolderEntryBytes, ResultsHygiene.Bytes(dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The size bound of a committed reference folder (issue 24): <c>du -sb</c> below 10,000,000 bytes.</summary>
    const long ReferenceBudget = 10_000_000;

    [Fact]
    public void Every_committed_reference_folder_reads_anywhere_and_a_finished_one_is_under_10_MB()
    {
        var reference = Path.Combine(NotebookPaths.RepositoryRoot, "results", "reference");
        var folders = Directory.GetDirectories(reference).Order(StringComparer.Ordinal).ToList();
        Assert.Contains(Path.Combine(reference, "quick"), folders);
        var problems = new List<string>();
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            // A study is finished when its stamp (study.json) is written, after its last run. Until then its folder holds
            // the runs committed so far (results/reference/study: tools/study/finished-runs.sh), written by a binary built
            // before run.json and config.json stored relative paths, and it has no tables or figures yet: the size bound
            // and the absolute-path rule apply from its stamp on, when its paths are rewritten relative (as the quick
            // reference's were) and its tables and figures are in; the CDN and PNG rules apply now.
            bool finished = File.Exists(Path.Combine(folder, StudyStamp.FileName));
            problems.AddRange(ResultsHygiene.Violations(folder, absolutePaths: finished).Select(v => $"{name}/{v}"));
            // Every page loads plotly.js from a copy of the version its figure was written for (the shared
            // results/reference/plotly.min.js, or a copy in its own folder), which therefore is committed.
            foreach (var page in Directory.EnumerateFiles(folder, "*.html", SearchOption.AllDirectories))
                foreach (var (source, target) in ResultsHygiene.PlotlyScripts(page))
                    if (target is not null && File.Exists(target) && !PneuKnow.Plots.FigureFile.IsCurrentPlotlyJs(target))
                        problems.Add($"{name}/{Path.GetRelativePath(folder, page)}: loads {source}, which is not the plotly.js that Plotly.NET embeds");
            if (finished && ResultsHygiene.Bytes(folder) is var bytes && bytes >= ReferenceBudget)
                problems.Add($"{name}: {bytes:N0} bytes (du -sb), over the {ReferenceBudget:N0}-byte bound of a committed reference folder");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
