using System.Reflection;
using System.Runtime.Loader;

namespace PneuKnow.Notebooks;

/// <summary>
/// Makes the engine and its charts load in the released Jupyter / Polyglot kernel. Every notebook's load cell calls
/// <see cref="UseEngine"/> right after its <c>#r</c> and <c>using</c> lines, before any engine code runs.
/// </summary>
/// <remarks>
/// <para>Two failures of the released kernel (the dotnet tool Microsoft.dotnet-interactive 1.0.712001) that the
/// in-process runner cannot see, since its process has every assembly in its own dependency list:</para>
/// <para>FSharp.Core. The only Plotly.NET the registry serves (6.0.0, with DynamicObj 8, Plotly.NET.CSharp 0.14 and
/// Plotly.NET.ImageExport 7) is compiled against FSharp.Core 10.1 (assembly version 10.1.0.0), while the kernel ships
/// and has loaded FSharp.Core 10.0.103 (assembly version 10.0.0.0). .NET never binds a reference to a lower version,
/// so the first chart failed with <c>FileNotFoundException: FSharp.Core, Version=10.1.0.0</c>. Pinning FSharp.Core
/// 10.0 cannot satisfy Plotly.NET 6, and <c>#r "nuget: Plotly.NET.CSharp"</c> fails the same way (the kernel keeps
/// its own FSharp.Core), so requests for a newer FSharp.Core of the same major version bind to the kernel's copy, the
/// kernel's equivalent of a binding redirect.</para>
/// <para>Duplicate assemblies. The kernel's script loader loads each <c>#r</c> assembly into a load context of its
/// own and resolves dependencies per context, so an assembly needed by two of them (PuppeteerSharp, by the engine and
/// by Plotly.NET.ImageExport) was loaded twice, and the PNG export of figures failed with
/// <c>MissingMethodException: PuppeteerSharpRendererOptions.get_launchOptions()</c> (the two copies' types differ).
/// The script loader asks the default context first, so dependencies found in the engine folder are loaded there,
/// once.</para>
/// <para>The limit: a Plotly.NET path calling an API new in FSharp.Core 10.1 would fail with
/// <see cref="MissingMethodException"/> in the released kernel; none of the notebooks does
/// (tests/PneuKnow.Tests/Notebooks/JupyterKernelTests.cs runs them all there), and a kernel that ships FSharp.Core 10.1
/// would make the first binding unnecessary. Where the process already has the assemblies (the in-process runner,
/// the CLI, the tests), the handler never fires.</para>
/// </remarks>
public static class KernelAssemblies
{
    static readonly object Gate = new();
    static readonly HashSet<string> Folders = new(StringComparer.Ordinal);
    static bool _installed;

    /// <summary>
    /// From now on, an assembly the default load context cannot find is taken, in this order, from what is already
    /// loaded (FSharp.Core: also a newer request of the same major version), or from <paramref name="engineFolder"/>,
    /// loaded into the default context once. Idempotent per folder.
    /// </summary>
    /// <param name="engineFolder">The engine's build output, as in the load cell's <c>#r</c> lines
    /// (<c>../lib/PneuKnow/bin/Release/net10.0</c>); relative to the working directory (the notebook's folder).</param>
    /// <exception cref="DirectoryNotFoundException">No such folder: build the engine first
    /// (<c>dotnet build -c Release</c>).</exception>
    public static void UseEngine(string engineFolder)
    {
        var full = Path.GetFullPath(engineFolder);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"{full}: the engine's build output is missing; run `dotnet build -c Release` in the repository root.");
        lock (Gate)
        {
            Folders.Add(full);
            if (_installed) return;
            _installed = true;
        }
        AssemblyLoadContext.Default.Resolving += Resolve;
    }

    static Assembly? Resolve(AssemblyLoadContext context, AssemblyName requested)
    {
        if (requested.Name is not { } name) return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == name);
        if (loaded is not null)
            return Stands(loaded.GetName().Version, requested.Version, name) ? loaded : null;
        string[] folders;
        lock (Gate) folders = [.. Folders];
        foreach (var folder in folders)
        {
            var path = Path.Combine(folder, name + ".dll");
            if (!File.Exists(path)) continue;
            try
            {
                return context.LoadFromAssemblyPath(path);
            }
            catch (Exception e) when (e is IOException or BadImageFormatException)
            {
                return null; // the runtime then reports the original binding failure, which names the assembly
            }
        }
        return null;
    }

    /// <summary>Whether a loaded assembly of version <paramref name="have"/> stands in for a request of
    /// <paramref name="want"/>: the same or newer, or, for FSharp.Core, the same major version.</summary>
    internal static bool Stands(Version? have, Version? want, string name) =>
        have is not null && (want is null || have >= want || (name == "FSharp.Core" && have.Major == want.Major));
}
