using System.Reflection;
using System.Runtime.Loader;

namespace PneuKnow.Notebooks;

/// <summary>
/// Makes the engine's Plotly charts load in the released Jupyter / Polyglot kernel. Every notebook's load cell calls
/// <see cref="UseKernelFSharpCore"/> right after its <c>#r</c> lines.
/// </summary>
/// <remarks>
/// Why: the only Plotly.NET the registry serves (6.0.0, with DynamicObj 8 and Plotly.NET.CSharp 0.14) is compiled
/// against FSharp.Core 10.1 (assembly version 10.1.0.0), while the released kernel (the dotnet tool
/// Microsoft.dotnet-interactive 1.0.712001) ships and has already loaded FSharp.Core 10.0.103 (assembly version
/// 10.0.0.0) in its default load context. .NET loads one FSharp.Core per context and never binds a reference to a
/// lower version, so the first chart failed with <c>FileNotFoundException: FSharp.Core, Version=10.1.0.0</c>.
/// Pinning FSharp.Core 10.0 is not possible (Plotly.NET 6 needs 10.1, no older Plotly.NET is served) and
/// <c>#r "nuget: Plotly.NET.CSharp"</c> fails the same way (the kernel keeps its own FSharp.Core). Binding the request
/// to the loaded 10.0 is the kernel's equivalent of a binding redirect; every chart and table of notebooks/ runs so in
/// the released kernel (tests/PneuKnow.Tests/Notebooks/JupyterKernelTests.cs). Where the process already has the
/// version asked for (the in-process runner, the CLI, the tests), the handler never fires. The limit: a Plotly.NET
/// path that calls an API new in FSharp.Core 10.1 would fail with <see cref="MissingMethodException"/> in the released
/// kernel; none of the notebooks' charts does (the Jupyter test runs them all), and a kernel that ships FSharp.Core
/// 10.1 makes this call unnecessary.
/// </remarks>
public static class KernelAssemblies
{
    static int _installed;

    /// <summary>
    /// From now on, a request for an FSharp.Core newer than the one this process has loaded, of the same major
    /// version, binds to the loaded one. Idempotent; does nothing where no FSharp.Core is loaded or where the
    /// requested version is present.
    /// </summary>
    public static void UseKernelFSharpCore()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (_, requested) => Loaded(requested);
    }

    /// <summary>The loaded FSharp.Core that stands in for <paramref name="requested"/>, if any.</summary>
    internal static Assembly? Loaded(AssemblyName requested)
    {
        if (requested.Name != "FSharp.Core") return null;
        var loaded = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => a.GetName().Name == "FSharp.Core");
        var have = loaded?.GetName().Version;
        // Only a newer minor of the same major: a different major is a real incompatibility that should stay visible.
        return have is not null && (requested.Version is null || (requested.Version.Major == have.Major && requested.Version >= have))
            ? loaded
            : null;
    }
}
