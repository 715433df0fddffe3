using PneuKnow.Cli;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Unknown options and unparseable values are errors with a message on stderr and exit code 2 (they used to be
/// ignored: <c>synth --image 3</c> generated the default 1082 images, <c>slurm --presett smoke</c> printed the paper
/// preset, <c>info --devise cuda</c> exited 0).
/// </summary>
public sealed class StrictParsingTests : IDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pneuknow-cli-");

    public void Dispose() => _dir.Delete(true);

    [Theory]
    [InlineData("--devise", "--device", "info", "--devise", "cuda")]
    [InlineData("--presett", "--preset", "slurm", "--presett", "smoke")]
    [InlineData("--classs", "--classes", "models", "--classs", "3")]
    [InlineData("--carve-tset", "--carve-test", "data", "split", "--manifest", "m.csv", "--out", "o.csv", "--carve-tset", "0.1")]
    public void Unknown_option_exits_2_and_names_the_nearest_valid_one(string typo, string nearest, params string[] args)
    {
        var r = PneuknowCli.Run(args);
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Contains($"error: unknown option '{typo}'; did you mean '{nearest}'?", r.Error);
    }

    /// <summary>
    /// A value-taking option without its value (at the end, or followed by another option) is a usage error naming the
    /// option; it used to become Spectre's placeholder <c>__default_command</c> with exit 0 (<c>synth --out --images 3</c>
    /// wrote images into <c>./__default_command</c>).
    /// </summary>
    [Theory]
    [InlineData("--out", "the option --images", "synth", "--out", "--images", "3", "--size", "32")]
    [InlineData("--out", "the end of the command line", "synth", "--images", "3", "--size", "32", "--out")]
    [InlineData("--out", "the end of the command line", "reproduce", "--preset", "smoke", "--out")]
    [InlineData("--preset", "the option --out", "reproduce", "--preset", "--out", "x")]
    [InlineData("--out", "the end of the command line", "slurm", "--preset", "smoke", "--out")]
    [InlineData("--out", "the end of the command line", "data", "split", "--manifest", "m.csv", "--out")]
    [InlineData("--device", "the option --threads", "info", "--device", "--threads", "1")]
    [InlineData("--manifest", "the end of the command line", "data", "check", "--manifest")]
    public void An_option_without_its_value_exits_2_naming_it_and_writes_nothing(string option, string found, params string[] args)
    {
        var cwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _dir.FullName;
        try
        {
            var r = PneuknowCli.Run(args);
            Assert.Equal(ExitCodes.Usage, r.Exit);
            Assert.Contains($"error: option {option} expects a value", r.Error);
            Assert.Contains($"found {found}", r.Error);
            Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.FullName));
        }
        finally { Environment.CurrentDirectory = cwd; }
    }

    /// <summary>Every command the tool runs, by its words (one test case each).</summary>
    public static TheoryData<string> EveryCommand()
    {
        var data = new TheoryData<string>();
        foreach (var c in OptionValues.Commands()) data.Add(string.Join(' ', c.Path));
        return data;
    }

    [Fact]
    public void The_command_list_covers_the_tool()
    {
        var commands = OptionValues.Commands().Select(c => string.Join(' ', c.Path)).ToList();
        Assert.True(commands.Count >= 19, $"found only {commands.Count} commands: {string.Join(", ", commands)}");
        foreach (var expected in new[] { "info", "synth", "data check", "data split", "train", "evaluate", "tables", "explain", "models", "models import", "reproduce", "merge", "slurm", "bench train", "notebook run", "bundle" })
            Assert.Contains(expected, commands);
    }

    /// <summary>
    /// For every command, every value-taking option given without its value, at the end of the line and followed by
    /// another of the command's options, is a usage error naming it; nothing is written. Before, a text option took
    /// Spectre's placeholder <c>__default_command</c> as its value and a number option failed with "expected an
    /// integer, found '__default_command'".
    /// </summary>
    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void Every_value_taking_option_without_its_value_exits_2_naming_it(string command)
    {
        var c = OptionValues.Commands().Single(c => string.Join(' ', c.Path) == command);
        string[] prefix = [.. c.Path, .. Enumerable.Repeat("x", c.RequiredArguments)];
        var valued = c.Options.Where(o => o.ValueName is not null && !o.ValueIsOptional).ToList();
        var cwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _dir.FullName;
        try
        {
            foreach (var o in valued)
            {
                var name = o.LongNames.Count > 0 ? "--" + o.LongNames[0] : "-" + o.ShortNames[0];
                var other = c.Options.Where(p => p != o && p.LongNames.Count > 0).Select(p => "--" + p.LongNames[0]).FirstOrDefault();
                var lines = new List<(string[] Args, string Found)> { ([.. prefix, name], "the end of the command line") };
                if (other is not null) lines.Add(([.. prefix, name, other], $"the option {other}"));
                foreach (var (args, found) in lines)
                {
                    var r = PneuknowCli.Run(args);
                    var call = $"`pneuknow {string.Join(' ', args)}`";
                    Assert.True(r.Exit == ExitCodes.Usage, $"{call}: expected exit 2, found {r.Exit}; stderr: {r.Error}");
                    Assert.True(r.Error.Contains($"error: option {name} expects a value <{o.ValueName}>, found {found}.", StringComparison.Ordinal),
                        $"{call}: expected the error to name {name} and {found}, found: {r.Error}");
                    Assert.DoesNotContain("__default_command", r.Error);
                    Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.FullName));
                }
            }
        }
        finally { Environment.CurrentDirectory = cwd; }
    }

    [Fact]
    public void A_negative_number_is_a_value_not_a_missing_one()
    {
        var r = PneuknowCli.Run("synth", "--out", Path.Combine(_dir.FullName, "p"), "--images", "-1");
        Assert.DoesNotContain("expects a value", r.Error);
        Assert.Contains("-1", r.Error);
    }

    [Fact]
    public void Synth_with_a_misspelled_option_writes_nothing()
    {
        var outDir = Path.Combine(_dir.FullName, "phantom");
        var r = PneuknowCli.Run("synth", "--out", outDir, "--image", "3");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains("did you mean '--images'?", r.Error);
        Assert.False(Directory.Exists(outDir), "synth wrote images although its command line was wrong");
    }

    [Fact]
    public void A_value_that_does_not_parse_names_its_option()
    {
        var r = PneuknowCli.Run("models", "--size", "abc");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains("error: --size: expected an integer, found 'abc'.", r.Error);

        r = PneuknowCli.Run("models", "--format", "xml");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains("error: --format: expected one of table, csv, json, md, found 'xml'.", r.Error);
    }

    [Fact]
    public void More_threads_than_cores_is_refused()
    {
        int cores = Environment.ProcessorCount;
        var r = PneuknowCli.Run("info", "--threads", $"{cores + 1}");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains($"--threads: expected at most {cores} (the cores this process may use), found {cores + 1}.", r.Error);
        r = PneuknowCli.Run("synth", "--out", Path.Combine(_dir.FullName, "s"), "--threads", "1000");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains("found 1000", r.Error);
    }

    [Fact]
    public void Unknown_command_and_validation_errors_go_to_stderr_with_exit_2()
    {
        var r = PneuknowCli.Run("reproduse");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Equal("", r.Out);
        Assert.StartsWith("error: ", r.Error);

        r = PneuknowCli.Run("models", "--classes", "0");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains("--classes: expected a positive count, found 0.", r.Error);
    }

    [Fact]
    public void Nearest_is_edit_distance_and_gives_up_on_unrelated_names()
    {
        string[] valid = ["--device", "--threads", "--verbose"];
        Assert.Equal("--threads", CliErrors.Nearest("--thread", valid));
        Assert.Equal("--verbose", CliErrors.Nearest("--vrebose", valid));
        Assert.Null(CliErrors.Nearest("--out", valid));
    }
}
