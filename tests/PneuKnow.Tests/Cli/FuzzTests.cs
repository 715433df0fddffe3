using PneuKnow.Cli;
using PneuKnow.Tests.Data;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Generated malformed manifests and images (160 runs of <c>data check</c>, fixed seed): every one ends with a
/// documented exit code, a failure always carries an "error:" message on stderr (never an internal error, exit 3),
/// and nothing is written outside the folder the case runs in.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FuzzTests : IDisposable
{
    readonly string _cwd = Environment.CurrentDirectory;
    readonly TempDir _root = new();

    public FuzzTests() => Environment.CurrentDirectory = _root.Path;

    public void Dispose()
    {
        Environment.CurrentDirectory = _cwd;
        _root.Dispose();
    }

    [Fact]
    public void Malformed_manifests_and_images_fail_with_a_message_inside_their_folder()
    {
        var r = new Random(7);
        int cases = 0;
        for (int k = 0; k < 80; k++)
        {
            var dir = Path.Combine(_root.Path, $"case{k}");
            Directory.CreateDirectory(dir);
            DatasetBuilder.WriteAll(dir);
            var csv = Path.Combine(dir, "manifest.csv");
            var lines = File.ReadAllLines(csv).ToList();
            string[] extra = [];
            switch (r.Next(8))
            {
                case 0: lines[0] = lines[0].Replace(new[] { "file_name", "class", "split", "patient_id" }[r.Next(4)], "oops"); break;
                case 1: lines.RemoveRange(1, lines.Count - 1); break;
                case 2:
                {
                    int row = 1 + r.Next(lines.Count - 1);
                    var f = lines[row].Split(',');
                    f[r.Next(f.Length)] = new[] { "", "..", "/etc/passwd", "\"unbalanced", "a,b", "ü/../x", new string('x', 5000), "NB/../../y" }[r.Next(8)];
                    lines[row] = string.Join(',', f);
                    break;
                }
                case 3: lines.Add(lines[1]); break;                                       // duplicate row
                case 4: lines[1 + r.Next(lines.Count - 1)] += ",extra"; break;           // too many fields
                case 5:
                {
                    var png = Path.Combine(dir, "raw", DatasetBuilder.Items[r.Next(DatasetBuilder.Items.Length)].File);
                    var bytes = File.ReadAllBytes(png);
                    File.WriteAllBytes(png, r.Next(3) switch { 0 => [], 1 => bytes[..(bytes.Length / 2)], _ => bytes.Select(b => (byte)r.Next(256)).ToArray() });
                    extra = ["--decode", "16"];
                    break;
                }
                case 6:
                {
                    var png = Path.Combine(dir, "roi", DatasetBuilder.Items[r.Next(DatasetBuilder.Items.Length)].File);
                    File.WriteAllBytes(png, [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0]);
                    extra = ["--decode", "16"];
                    break;
                }
                default: File.WriteAllBytes(csv, Enumerable.Range(0, 64).Select(_ => (byte)r.Next(256)).ToArray()); lines.Clear(); break;
            }
            if (lines.Count > 0) File.WriteAllLines(csv, lines);
            foreach (var skip in new[] { false, true })
            {
                var before = Directory.EnumerateFileSystemEntries(_root.Path).Count();
                string[] args = ["data", "check", "--manifest", csv, .. extra, .. (skip ? new[] { "--skip-invalid" } : [])];
                var result = PneuknowCli.Run(args);
                Assert.True(result.Exit is ExitCodes.Success or ExitCodes.Failure,
                    $"`pneuknow {string.Join(' ', args)}`: expected exit 0 or 1, found {result.Exit}; stderr: {result.Error}");
                if (result.Exit != 0) Assert.Contains(result.Error.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
                Assert.DoesNotContain("internal error", result.Error);
                // Only the case's own folder holds output (the skip report, the cache).
                Assert.Equal(before, Directory.EnumerateFileSystemEntries(_root.Path).Count());
                cases++;
            }
        }
        Assert.Equal(160, cases);
    }
}
