using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PneuKnow.Tests.Notebooks;

/// <summary>
/// The notebooks' prose says no number about the data or the results (issue 24: "numbers about the data and the results
/// appear only in computed outputs, never typed into markdown"), and every chapter ends with a code cell that answers its
/// opening question from the numbers. Static checks of the notebook files: fast, no kernel.
/// </summary>
public sealed partial class NotebookProseTests
{
    /// <summary>
    /// A number standing on its own in prose: digits (with decimal or thousands separators) not glued to a letter, digit or
    /// underscore on either side, so identifiers such as <c>resnet18</c>, <c>EfficientNet-B0</c>, <c>macro-F1</c> or
    /// <c>run_k</c> are not numbers, while <c>0.7853</c>, <c>+2.3</c>, <c>−0.03</c>, <c>70/15/15</c>, <c>1,082</c> and
    /// <c>95 %</c> are.
    /// </summary>
    [GeneratedRegex(@"(?<![\p{L}\p{N}_.])\d+(?:[.,]\d+)*(?![\p{L}\p{N}_])")]
    private static partial Regex StandaloneNumber();

    /// <summary>
    /// Numbers markdown may carry, each a definition rather than a fact about the data or the results, matched as phrases
    /// (removed before the scan):
    /// </summary>
    static readonly (Regex Phrase, string Why)[] Allowed =
    [
        // "# 02 · Baseline vs HKD student": the chapter's number (its file name's prefix).
        (new Regex(@"^# \d\d ·", RegexOptions.Multiline), "the chapter number in the title"),
        // "chapter 01", "chapters 02–05": cross-references to other chapters by their numbers.
        (new Regex(@"\bchapters? \d\d(?:–\d\d)?\b"), "a reference to a chapter by its number"),
        // "claim 3", "claims 1 and 2": the paper's claims as docs/study-design.md numbers them.
        (new Regex(@"\bclaims? \d(?: and \d)?\b"), "a reference to the paper's claims by their number in docs/study-design.md"),
        // "COVID-19": a class name.
        (new Regex(@"COVID-19"), "the class name COVID-19"),
        // "95 %": the level of every interval, fixed by the method (PairedInterval) before any result.
        (new Regex(@"\b95 % (?:interval|CI)"), "the interval level the method fixes"),
        // "(1 − a_e)": the constant of the loss's definition, a_e · MSE + (1 − a_e) · CE.
        (new Regex(@"\(1 − a_e\)"), "the loss's definition"),
        // "sized for a 2-core CPU": what the quick preset is designed for (docs/study-design.md), a statement of the preset.
        (new Regex(@"sized for a 2-core CPU"), "the machine the quick preset is designed for"),
    ];

    public static TheoryData<string> Notebooks() => AllNotebooksRunTests.Notebooks();

    /// <summary>The markdown cells of a notebook: (1-based cell number, text).</summary>
    static IEnumerable<(int Cell, string Text)> Markdown(string notebook) =>
        Cells(notebook).Select((c, i) => (Cell: i + 1, Node: c)).Where(x => (string?)x.Node["cell_type"] == "markdown")
            .Select(x => (x.Cell, AllNotebooksRunTests.Source(x.Node)));

    static List<JsonNode> Cells(string notebook) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(NotebookPaths.Notebooks, notebook)))!["cells"]!.AsArray().Select(c => c!).ToList();

    /// <summary>The standalone numbers of <paramref name="markdown"/> that no allowed phrase accounts for.</summary>
    internal static IReadOnlyList<string> TypedNumbers(string markdown)
    {
        foreach (var (phrase, _) in Allowed) markdown = phrase.Replace(markdown, " ");
        return StandaloneNumber().Matches(markdown).Select(m =>
        {
            int from = Math.Max(0, m.Index - 30), to = Math.Min(markdown.Length, m.Index + m.Length + 30);
            return $"'{m.Value}' in \"…{markdown[from..to].Replace('\n', ' ')}…\"";
        }).ToList();
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void No_markdown_cell_types_a_number(string notebook)
    {
        var typed = Markdown(notebook).SelectMany(c => TypedNumbers(c.Text).Select(t => $"cell {c.Cell}: {t}")).ToList();
        Assert.True(typed.Count == 0,
            $"{notebook}: markdown types numbers; print them from the engine in a code cell instead (or state the preset they describe in words):\n" + string.Join("\n", typed));
    }

    [Theory]
    [InlineData("The paper reports +2.3 points (0.7853 ± 0.0037 → 0.8083 ± 0.0103).", 5)]
    [InlineData("splits are 70/15/15 train/valid/test; healthy ≈ 60 %", 4)]
    [InlineData("quick (128 px, 600 images)", 2)]
    [InlineData("resnet50 25,557,032 parameters; difference −0.03", 2)]
    [InlineData("The study's 1082 hospital images", 1)]
    public void The_scan_finds_typed_numbers(string markdown, int count) =>
        Assert.Equal(count, TypedNumbers(markdown).Count);

    [Theory]
    [InlineData("# 02 · Baseline vs HKD student")]
    [InlineData("cntk_resnet18, resnet50, EfficientNet-B0/B1, macro-F1, run_k, pair k, a_e, kd_epochs")]
    [InlineData("B bacterial, C COVID-19, NB healthy; chapters 02–05 share it; chapter 01 generates it")]
    [InlineData("the paired test of claims 1 and 2; claim 3; with a 95 % interval; the 95 % CI")]
    [InlineData("`a_e · MSE(teacher features, student features) + (1 − a_e) · CE`")]
    public void The_scan_leaves_definitions_alone(string markdown) =>
        Assert.Empty(TypedNumbers(markdown));

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_first_cell_asks_a_question(string notebook)
    {
        var first = Cells(notebook)[0];
        Assert.Equal("markdown", (string?)first["cell_type"]);
        Assert.Contains("**Question.**", AllNotebooksRunTests.Source(first));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_last_cell_computes_the_answer(string notebook)
    {
        var cells = Cells(notebook);
        var last = cells[^1];
        var before = cells[^2];
        Assert.True((string?)last["cell_type"] == "code", $"{notebook}: the last cell must be a code cell that prints the answer, found a {(string?)last["cell_type"]} cell.");
        Assert.True((string?)before["cell_type"] == "markdown" && AllNotebooksRunTests.Source(before).StartsWith("## What this says", StringComparison.Ordinal),
            $"{notebook}: the last code cell must follow a markdown cell headed '## What this says' that says what it computes.");
        var code = AllNotebooksRunTests.Source(last);
        Assert.Contains("Console.Write", code);
        // The sentence is built from the numbers: an interpolated string, not a literal conclusion.
        Assert.Contains("$\"", code);
    }
}
