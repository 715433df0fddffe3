using PneuKnow.Runtime;

namespace PneuKnow.Tests.Runtime;

public class ElfSymbolVersionsTests
{
    static string PackageBridge()
    {
        // The untouched library as NuGet ships it (the build output's copy may already be patched).
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var orig = path + ".orig";
        return File.Exists(orig) ? orig : path;
    }

    [Fact]
    public void Marking_GLIBCXX_3_4_32_weak_changes_exactly_that_requirement_and_keeps_a_backup()
    {
        var source = PackageBridge();
        Assert.True(File.Exists(source), $"expected TorchSharp's native library at {source}");
        var dir = Directory.CreateTempSubdirectory("elf-");
        try
        {
            var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.Copy(source, copy);
            var before = ElfSymbolVersions.ReadRequirements(copy);
            var target = Assert.Single(before, r => r.Version == TorchRuntime.NeedlessGlibcxx);
            Assert.Equal("libstdc++.so.6", target.Library);
            Assert.False(target.IsWeak);

            Assert.True(ElfSymbolVersions.MarkWeak(copy, TorchRuntime.NeedlessGlibcxx));

            var after = ElfSymbolVersions.ReadRequirements(copy);
            Assert.Equal(before.Count, after.Count);
            for (int i = 0; i < before.Count; i++)
            {
                bool isTarget = before[i].Version == TorchRuntime.NeedlessGlibcxx;
                Assert.Equal(isTarget ? (ushort)(before[i].Flags | ElfSymbolVersions.VerFlagWeak) : before[i].Flags, after[i].Flags);
            }
            // Exactly two bytes differ from the original, which is kept as a backup.
            var a = File.ReadAllBytes(source);
            var b = File.ReadAllBytes(copy);
            Assert.Equal(a.Length, b.Length);
            Assert.Equal(1, Enumerable.Range(0, a.Length).Count(i => a[i] != b[i]));
            Assert.Equal(a, File.ReadAllBytes(copy + ".orig"));
            // A second call has nothing left to do.
            Assert.False(ElfSymbolVersions.MarkWeak(copy, TorchRuntime.NeedlessGlibcxx));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_refused_with_what_was_found()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "#!/bin/sh\n");
            var e = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadRequirements(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("expected an ELF file", e.Message);
        }
        finally { File.Delete(path); }
    }
}
