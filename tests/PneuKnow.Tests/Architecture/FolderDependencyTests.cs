using PneuKnow.Runtime;

namespace PneuKnow.Tests.Architecture;

/// <summary>
/// The engine's folders depend one way: Runtime → Data → Augmentation → Models → Distillation → Training →
/// Evaluation → Explain → Plots → Study, a folder using only folders to its left, with no cycle.
/// The graph comes from the type references compiled into PneuKnow.dll (see <see cref="TypeReferenceReader"/>),
/// not from <c>using</c> lines, which miss same-namespace lookups and fully qualified names.
/// </summary>
/// <remarks>
/// Sub-namespaces (<c>PneuKnow.Data.Phantom</c>, <c>PneuKnow.Models.Onnx</c>) belong to their folder: they take
/// its place in the order, and references between a folder and its own sub-namespace are not between folders.
/// Inside a folder the namespaces must still form no cycle, so Data using Phantom's types while Phantom uses
/// Data's is a failure; a sub-namespace using its parent is the expected direction.
/// </remarks>
public sealed class FolderDependencyTests
{
    /// <summary>Left to right: a folder may use the folders before it, never one after it.</summary>
    static readonly string[] Order = ["Runtime", "Data", "Augmentation", "Models", "Distillation", "Training", "Evaluation", "Explain", "Plots", "Study"];

    static readonly Lazy<IReadOnlyList<TypeReference>> References = new(() =>
        TypeReferenceReader.Read(typeof(AtomicFile).Assembly.Location, ns => ns == "PneuKnow" || ns.StartsWith("PneuKnow.", StringComparison.Ordinal)));

    /// <summary>The folder of a namespace: its first segment after <c>PneuKnow.</c>.</summary>
    static string Folder(string ns) => ns == "PneuKnow" ? "(root)" : ns["PneuKnow.".Length..].Split('.')[0];

    static FolderGraph Folders() => FolderGraph.From(References.Value, Folder);

    [Fact]
    public void The_reader_sees_the_engines_references()
    {
        // A guard against a reader that silently finds nothing: edges every version of the engine has.
        var graph = Folders();
        Assert.True(graph.Has("Training", "Models"), "expected Training → Models (the trainer trains a Backbone)");
        Assert.True(graph.Has("Study", "Training"), "expected Study → Training (the study runs experiments)");
        Assert.True(graph.Has("Data", "Runtime"), "expected Data → Runtime");
    }

    [Fact]
    public void The_reader_sees_references_in_method_bodies_lambdas_attributes_and_catch_clauses()
    {
        const string fixture = "PneuKnow.Tests.Architecture.ReaderFixture";
        var found = TypeReferenceReader.Read(typeof(FolderDependencyTests).Assembly.Location, ns => ns.StartsWith(fixture, StringComparison.Ordinal));
        var edges = found.Select(r => $"{r.FromType} → {r.ToType}").ToHashSet();
        foreach (var expected in new[] { "BodyOnly → CalledOnlyInABody", "LambdaOnly → UsedOnlyInALambda", "AttributeOnly → OnlyAnAttribute", "CatchOnly → OnlyCaught" })
            Assert.True(edges.Contains(expected), $"expected {expected}; the reader found: {string.Join("; ", edges)}");
        Assert.DoesNotContain(found, r => r.FromNamespace.EndsWith(".Low", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_folder_has_a_place_in_the_order()
    {
        var unknown = References.Value.SelectMany(r => new[] { r.FromNamespace, r.ToNamespace })
            .Select(Folder).Distinct().Where(f => !Order.Contains(f)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, $"folders not in the dependency order ({string.Join(" → ", Order)}): {string.Join(", ", unknown)}; add each where it belongs");
    }

    [Fact]
    public void Folders_use_only_folders_to_their_left()
    {
        var graph = Folders();
        var backward = graph.BackwardEdges(Order);
        Assert.True(backward.Count == 0,
            $"{backward.Count} folder dependencies point against the order {string.Join(" → ", Order)} (a folder may use only folders to its left):\n"
            + string.Join("\n", backward.Select(e => graph.DescribeEdge(e.From, e.To))));
    }

    [Fact]
    public void Folders_form_no_cycle()
    {
        var graph = Folders();
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, $"{cycles.Count} cycles between folders:\n" + string.Join("\n", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void Namespaces_inside_a_folder_form_no_cycle()
    {
        var graph = FolderGraph.From(References.Value, ns => ns);
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, $"{cycles.Count} cycles between namespaces:\n" + string.Join("\n", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void The_checker_finds_cycles_and_backward_edges_in_a_hand_made_graph()
    {
        var graph = new FolderGraph();
        graph.Add("A", "B", "A1 → B1");
        graph.Add("B", "C", "B1 → C1");
        graph.Add("C", "A", "C1 → A1");
        graph.Add("C", "A", "C2 → A2");
        graph.Add("C", "D", "C1 → D1");
        graph.Add("D", "E", "D1 → E1");
        graph.Add("E", "D", "E1 → D1");
        graph.Add("F", "A", "F1 → A1");
        graph.Add("A", "A", "A1 → A2"); // within one node: not an edge

        Assert.False(graph.Has("A", "A"));
        var cycles = graph.Cycles().Select(c => string.Join(" → ", c)).ToList();
        Assert.Equal(["A → B → C → A", "D → E → D"], cycles.Order(StringComparer.Ordinal));
        Assert.Contains("C2 → A2", graph.Describe(graph.Cycles().First(c => c[0] == "A")));

        // A node may use the nodes before it in the order: the edges to a later node are backward.
        Assert.Equal([("A", "B"), ("B", "C"), ("C", "D"), ("D", "E")], graph.BackwardEdges(["A", "B", "C", "D", "E", "F"]));
        Assert.Equal([("C", "A"), ("E", "D"), ("F", "A")], graph.BackwardEdges(["F", "E", "D", "C", "B", "A"]));
        Assert.Contains("F1 → A1", graph.DescribeEdge("F", "A"));

        var acyclic = new FolderGraph();
        acyclic.Add("A", "B", "x");
        acyclic.Add("B", "C", "y");
        acyclic.Add("A", "C", "z");
        Assert.Empty(acyclic.Cycles());
        Assert.Empty(acyclic.BackwardEdges(["C", "B", "A"]));
        Assert.Equal([("A", "B"), ("A", "C"), ("B", "C")], acyclic.BackwardEdges(["A", "B", "C"]));
    }
}
