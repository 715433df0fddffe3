using System.Text.RegularExpressions;
using PneuKnow.Runtime;

namespace PneuKnow.Tests.Runtime;

/// <summary>Finding a user-chosen libtorch and its shim, and refusing a shim built for another libtorch.</summary>
public sealed class SiteLibTorchTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("pneuknow-sitetorch-").FullName;

    int packages;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // A pip torch package as laid out on disk: torch/version.py beside torch/lib/ (the .so files need not be real here).
    string TorchPackage(string version, string? cuda, bool withShim)
    {
        var torchDir = Path.Combine(root, $"site-packages-{++packages}", "torch");
        var lib = Directory.CreateDirectory(Path.Combine(torchDir, "lib")).FullName;
        File.WriteAllText(Path.Combine(lib, "libtorch.so"), "");
        if (withShim) File.WriteAllText(Path.Combine(lib, "libLibTorchSharp.so"), "");
        // The form torch 2.x writes (torch/version.py of a CUDA wheel).
        File.WriteAllText(Path.Combine(torchDir, "version.py"),
            $"from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'xpu']\n__version__ = '{version}'\ndebug = False\n" +
            $"cuda: Optional[str] = {(cuda is null ? "None" : $"'{cuda}'")}\ngit_version = 'abc'\nhip: Optional[str] = None\n");
        return torchDir;
    }

    string ShimOutput(string torchLib, string builtFor)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "shim")).FullName;
        File.WriteAllText(Path.Combine(dir, "libLibTorchSharp.so"), "");
        File.WriteAllText(Path.Combine(dir, SiteLibTorch.BuildRecordName),
            $"# written by tools/native/build-libtorchsharp.sh\ntorchsharp=0.107.0\ntorch_version={builtFor}\ncuda=13.0\ntorch_lib={torchLib}\n");
        return dir;
    }

    [Fact]
    public void The_build_scripts_output_names_the_site_torch_and_both_versions_match()
    {
        var torch = TorchPackage("2.11.0+cu130", "13.0", withShim: false);
        var shim = ShimOutput(Path.Combine(torch, "lib"), "2.11.0+cu130");
        var site = SiteLibTorch.Locate(shim, packageShimLibTorchVersion: "2.10.0");
        Assert.Equal(Path.Combine(torch, "lib"), site.LibDir);
        Assert.Equal(Path.Combine(shim, "libLibTorchSharp.so"), site.ShimPath);
        Assert.Equal("2.11.0+cu130", site.LibTorchVersion);
        Assert.Equal("13.0", site.Cuda);
        site.EnsureMatch();
    }

    [Fact]
    public void A_shim_built_for_another_libtorch_is_refused_naming_both_versions()
    {
        var torch = TorchPackage("2.11.0+cu130", "13.0", withShim: false);
        var shim = ShimOutput(Path.Combine(torch, "lib"), "2.10.0");
        var e = Assert.Throws<TorchRuntimeException>(() => SiteLibTorch.Locate(shim, null).EnsureMatch());
        Assert.Contains("built for libtorch 2.10.0", e.Message);
        Assert.Contains("holds libtorch 2.11.0+cu130", e.Message);
        Assert.Contains("build-libtorchsharp.sh", e.Message);
    }

    [Fact]
    public void A_shim_beside_libtorch_without_a_record_is_taken_as_the_packages_build()
    {
        var torch = TorchPackage("2.11.0", null, withShim: true);
        var site = SiteLibTorch.Locate(torch, packageShimLibTorchVersion: "2.10.0");
        Assert.Null(site.Cuda);
        var e = Assert.Throws<TorchRuntimeException>(site.EnsureMatch);
        Assert.Contains("2.10.0", e.Message);
        Assert.Contains("2.11.0", e.Message);
        Assert.Equal("2.10.0", SiteLibTorch.Locate(TorchPackage("2.10.0+cpu", null, withShim: true), "2.10.0").ShimLibTorchVersion);
        SiteLibTorch.Locate(torch, "2.11.0").EnsureMatch();
    }

    [Fact]
    public void Missing_pieces_are_named_with_the_remedy()
    {
        var torch = TorchPackage("2.11.0", null, withShim: false);
        var e = Assert.Throws<TorchRuntimeException>(() => SiteLibTorch.Locate(torch, null));
        Assert.Contains("no libLibTorchSharp.so", e.Message);
        Assert.Contains("build-libtorchsharp.sh", e.Message);
        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        Assert.Contains("expected libtorch.so in", Assert.Throws<TorchRuntimeException>(() => SiteLibTorch.Locate(empty, null)).Message);
        Assert.Contains("no such directory", Assert.Throws<TorchRuntimeException>(() => SiteLibTorch.Locate(Path.Combine(root, "nope"), null)).Message);
    }

    [Theory]
    [InlineData("2.11.0+cu130", "2.11.0")]
    [InlineData("2.10.0", "2.10.0")]
    [InlineData("2.10.0 (libtorch-cpu-linux-x64)", "2.10.0")]
    public void Release_drops_the_local_build_tag(string version, string release) => Assert.Equal(release, SiteLibTorch.Release(version));

    [Fact]
    public void The_shim_build_script_expects_the_managed_TorchSharp_version()
    {
        var repo = TestRepository.Root;
        var props = File.ReadAllText(Path.Combine(repo, "Directory.Packages.props"));
        var managed = Regex.Match(props, "Include=\"TorchSharp-cpu\" Version=\"([^\"]+)\"").Groups[1].Value;
        var script = File.ReadAllText(Path.Combine(repo, "tools", "native", "build-libtorchsharp.sh"));
        var expected = Regex.Match(script, "(?m)^TORCHSHARP_VERSION=(\\S+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(managed));
        Assert.Equal(managed, expected);
    }
}

/// <summary>The repository this test assembly was built from.</summary>
static class TestRepository
{
    public static string Root { get; } = Find();

    static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Directory.Packages.props"))) return d.FullName;
        throw new InvalidOperationException($"no Directory.Packages.props above {AppContext.BaseDirectory}");
    }
}
