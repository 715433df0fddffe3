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
