using System.Text;

namespace PneuKnow.Tests.Architecture;

/// <summary>
/// A directed graph between folders (or namespaces) whose every edge keeps the type references behind it,
/// so that a failure can say not only that Evaluation uses Plots but which type uses which.
/// </summary>
public sealed class FolderGraph
{
    readonly SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    /// <summary>How many example type pairs a message prints per edge.</summary>
    public const int ExamplesPerEdge = 4;

    /// <summary>Adds the edge <paramref name="from"/> → <paramref name="to"/> with an example (self-edges are ignored).</summary>
    public void Add(string from, string to, string example)
    {
        if (from == to) return;
        if (!_edges.TryGetValue(from, out var targets)) _edges[from] = targets = new(StringComparer.Ordinal);
        if (!targets.TryGetValue(to, out var examples)) targets[to] = examples = new(StringComparer.Ordinal);
        examples.Add(example);
    }

    /// <summary>Projects type references onto nodes named by <paramref name="node"/> (e.g. a namespace's folder).</summary>
    public static FolderGraph From(IEnumerable<TypeReference> references, Func<string, string> node)
    {
        var graph = new FolderGraph();
        foreach (var r in references)
            graph.Add(node(r.FromNamespace), node(r.ToNamespace), $"{r.FromType} → {r.ToType}");
        return graph;
    }

    /// <summary>Every node with an edge in or out.</summary>
    public IReadOnlyList<string> Nodes => _edges.Keys.Concat(_edges.Values.SelectMany(t => t.Keys)).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Every edge, sorted.</summary>
    public IEnumerable<(string From, string To)> Edges => _edges.SelectMany(kv => kv.Value.Keys.Select(to => (kv.Key, to)));

    /// <summary>True when the edge exists.</summary>
    public bool Has(string from, string to) => _edges.TryGetValue(from, out var t) && t.ContainsKey(to);

    /// <summary>The example type pairs of an edge.</summary>
    public IReadOnlyCollection<string> Examples(string from, string to) => _edges[from][to];

    IEnumerable<string> Successors(string node) => _edges.TryGetValue(node, out var t) ? t.Keys : [];

    /// <summary>
    /// One cycle per node that lies on a cycle: for each strongly connected component of more than one node,
    /// the shortest cycle through each of its nodes (rotated to start at its smallest node, duplicates dropped).
    /// Each cycle is its node sequence with the first node repeated at the end.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in StronglyConnectedComponents().Where(c => c.Count > 1))
        {
            var inside = component.ToHashSet(StringComparer.Ordinal);
            foreach (var start in component.Order(StringComparer.Ordinal))
            {
                var cycle = ShortestCycle(start, inside);
                var nodes = cycle.Take(cycle.Count - 1).ToList();
                var smallest = nodes.IndexOf(nodes.Min(StringComparer.Ordinal)!);
                var rotated = nodes.Skip(smallest).Concat(nodes.Take(smallest)).ToList();
                rotated.Add(rotated[0]);
                if (seen.Add(string.Join(" → ", rotated))) cycles.Add(rotated);
            }
        }
        return cycles;
    }

    /// <summary>Breadth-first search from <paramref name="start"/> back to itself within <paramref name="inside"/>.</summary>
    List<string> ShortestCycle(string start, HashSet<string> inside)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var n = queue.Dequeue();
            foreach (var s in Successors(n).Where(inside.Contains))
            {
                if (s == start)
                {
                    var path = new List<string> { start };
                    for (var p = n; p != start; p = parent[p]) path.Add(p);
                    path.Add(start);
                    path.Reverse();
                    return path;
                }
                if (parent.TryAdd(s, n)) queue.Enqueue(s);
            }
        }
        throw new InvalidOperationException($"{start} is in a strongly connected component but on no cycle");
    }

    /// <summary>Tarjan's algorithm (recursive: the graphs here have a dozen nodes).</summary>
    List<List<string>> StronglyConnectedComponents()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v); onStack.Add(v);
            foreach (var w in Successors(v))
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            components.Add(component);
        }
        foreach (var n in Nodes) if (!index.ContainsKey(n)) Visit(n);
        return components;
    }

    /// <summary>Edges from a node to one at or after it in <paramref name="order"/> (a node may use only nodes before it); nodes not in the order are ignored here.</summary>
    public IReadOnlyList<(string From, string To)> BackwardEdges(IReadOnlyList<string> order)
    {
        int Rank(string n) => order.ToList().IndexOf(n);
        return Edges.Where(e => Rank(e.From) >= 0 && Rank(e.To) >= 0 && Rank(e.To) > Rank(e.From)).ToList();
    }

    /// <summary>A cycle as text: its node sequence, then each edge with a few example type references.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var text = new StringBuilder(string.Join(" → ", cycle));
        for (int i = 0; i + 1 < cycle.Count; i++) text.Append('\n').Append(DescribeEdge(cycle[i], cycle[i + 1]));
        return text.ToString();
    }

    /// <summary>An edge as text with up to <see cref="ExamplesPerEdge"/> example type references and how many there are.</summary>
    public string DescribeEdge(string from, string to)
    {
        var examples = Examples(from, to);
        var shown = string.Join("; ", examples.Take(ExamplesPerEdge));
        var more = examples.Count > ExamplesPerEdge ? $"; … {examples.Count - ExamplesPerEdge} more" : "";
        return $"  {from} → {to}: {shown}{more}";
    }
}
