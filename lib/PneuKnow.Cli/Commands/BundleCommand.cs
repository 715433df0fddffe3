using System.ComponentModel;
using System.Diagnostics;
using PneuKnow.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands;

/// <summary>What a bundle carries of libtorch.</summary>
public enum BundleLibTorch
{
    /// <summary>The NuGet package's CPU libtorch and TorchSharp shim (about 0.5 GB), and the ONNX model files.</summary>
    Package,

    /// <summary>Neither: a libtorch (with its shim) is expected at run time through <c>PNEUKNOW_LIBTORCH</c> or <c>--libtorch</c>.</summary>
    None,
}

/// <summary>
/// <c>pneuknow bundle</c>: a self-contained build of the command (the .NET runtime from NuGet's runtime pack), as a
/// folder and a <c>.tar.xz</c>, for machines without a .NET SDK such as GPU nodes with a site PyTorch.
/// </summary>
public sealed class BundleCommand : Command<BundleCommand.Settings>
{
    /// <summary>The runtime the bundle is built for.</summary>
    public const string RuntimeIdentifier = "linux-x64";

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Folder that receives the bundle folder and its .tar.xz.")]
        public string Out { get; init; } = "";

        [CommandOption("--libtorch <WHAT>")]
        [Description("package: include the package's CPU libtorch and the ONNX model files; none: leave them out and load a libtorch at run time (PNEUKNOW_LIBTORCH or --libtorch).")]
        [DefaultValue("package")]
        public string LibTorch { get; init; } = "package";

        [CommandOption("--project <CSPROJ>")]
        [Description("The PneuKnow.Cli project to publish (default: lib/PneuKnow.Cli/PneuKnow.Cli.csproj above the current folder or this executable).")]
        public string? Project { get; init; }

        /// <summary>The parsed <c>--libtorch</c>.</summary>
        public BundleLibTorch What => ParseLibTorch(LibTorch) ?? BundleLibTorch.Package;

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out: expected a folder for the bundle, found none.");
            if (ParseLibTorch(LibTorch) is null) return ValidationResult.Error($"--libtorch: expected package or none, found '{LibTorch}'.");
            if (Project is { } p && !File.Exists(p)) return ValidationResult.Error($"--project: expected the PneuKnow.Cli .csproj, found no file at '{p}'.");
            return ValidationResult.Success();
        }

        static BundleLibTorch? ParseLibTorch(string s) => s.Trim().ToLowerInvariant() switch
        {
            "package" => BundleLibTorch.Package,
            "none" => BundleLibTorch.None,
            _ => null,
        };
    }

    /// <summary>Folder name of a bundle, also the top folder inside its tarball.</summary>
    public static string BundleName(BundleLibTorch what) =>
        what == BundleLibTorch.None ? $"pneuknow-{RuntimeIdentifier}-nolibtorch" : $"pneuknow-{RuntimeIdentifier}";

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var project = settings.Project ?? FindProject()
            ?? throw new InvalidOperationException($"bundle: expected the PneuKnow source tree (lib/PneuKnow.Cli/PneuKnow.Cli.csproj) above '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}', found none; run it from a clone or pass --project.");
        var outDir = Path.GetFullPath(settings.Out);
        var name = BundleName(settings.What);
        var folder = Path.Combine(outDir, name);
        var tarball = Path.Combine(outDir, name + ".tar.xz");
        // A stale file from an earlier bundle (e.g. libtorch from a package bundle) must not survive into this one.
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(outDir);

        // Own artifacts folder: publishing for a runtime must not rewrite the obj/ and bin/ folders of the source tree
        // that a running build, test host or notebook uses.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        Run(dotnet, [
            "publish", project, "-c", "Release", "-r", RuntimeIdentifier, "--self-contained", "true",
            "--artifacts-path", Path.Combine(outDir, ".build"), "-o", folder, "-nologo",
            $"-p:BundleLibTorch={(settings.What == BundleLibTorch.Package ? "true" : "false")}",
            // Roslyn's and FSharp's translated messages (13 languages) are a sixth of the bundle; the CLI speaks English.
            "-p:SatelliteResourceLanguages=en",
            // The engine is also an executable (its oneDNN self-test child), so its deps/runtimeconfig files come both from
            // the runtime-specific build and the portable one; they are equivalent here, and either will do.
            "-p:ErrorOnDuplicatePublishOutputFiles=false",
        ], cancellationToken);
        // The command's name, as in a build output (the csproj's CopyPneuknowAppHost runs after Build, not Publish).
        File.Copy(Path.Combine(folder, "PneuKnow.Cli"), Path.Combine(folder, "pneuknow"), overwrite: true);
        // A self-contained publish gives the engine an apphost of its own (it only exists to be the self-test child): not a command.
        File.Delete(Path.Combine(folder, "PneuKnow"));

        var staging = tarball + ".tmp";
        // -9: its 64 MiB dictionary spans most of the runtime and the managed assemblies, which repeat each other;
        // at the default -6 the none bundle was 47.1 MB, over the 45 MB it is meant to stay under. -T0 threads the
        // package bundle's 0.5 GB of libtorch (blocks of 192 MiB) and leaves a smaller bundle in one block.
        Run("tar", ["-C", outDir, "-cJf", staging, name], cancellationToken, ("XZ_OPT", "-9 -T0"));
        File.Move(staging, tarball, overwrite: true);

        Console.Out.WriteLine($"bundle:  {folder} ({FolderBytes(folder) / 1e6:F1} MB)");
        Console.Out.WriteLine($"tarball: {tarball} ({new FileInfo(tarball).Length / 1e6:F1} MB)");
        if (settings.What == BundleLibTorch.None)
            Console.Out.WriteLine($"run it with {SiteLibTorch.EnvironmentVariable}=<libtorch with libLibTorchSharp.so> {name}/pneuknow info (see README, GPU clusters)");
        return 0;
    }

    static string? FindProject()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "lib", "PneuKnow.Cli", "PneuKnow.Cli.csproj");
                if (File.Exists(p)) return p;
            }
        return null;
    }

    static long FolderBytes(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    static void Run(string file, IReadOnlyList<string> args, CancellationToken ct, params (string Key, string Value)[] env)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env) start.Environment[k] = v;
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"bundle: could not start {file}");
        using var kill = ct.Register(() => { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"bundle: '{file} {string.Join(' ', args)}' exited with {p.ExitCode} (its output is above).");
    }
}
