using System.ComponentModel;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Evaluation;

/// <summary><c>pneuknow tables &lt;runs...&gt;</c>: the paper's tables and the comparison with the published numbers.</summary>
public sealed class TablesCommand : Command<TablesCommand.Settings>
{
    public sealed class Settings : RunSelectionSettings, IFormattedOutput
    {
        [CommandOption(IFormattedOutput.Option)]
        [Description(IFormattedOutput.Help)]
        [DefaultValue(IFormattedOutput.Default)]
        public OutputFormat Format { get; init; } = IFormattedOutput.Default;

        [Description("Output folder.")]
        [CommandOption("--out")]
        [DefaultValue("results/tables")]
        public string Out { get; init; } = "results/tables";

        [Description("The transcribed published numbers.")]
        [CommandOption("--published")]
        [DefaultValue("data/paper-reference/published-metrics.csv")]
        public string Published { get; init; } = "data/paper-reference/published-metrics.csv";

        [Description("GROUP=BACKBONE:VARIANT — where a group goes in the accuracy table (repeatable). Without it: row = group, column 'accuracy'.")]
        [CommandOption("--cell")]
        public string[] Cells { get; init; } = [];

        [Description("GROUP=EXPERIMENT:ROLE — compare a group with the authors' experiment and role, e.g. cs-hkd=ConvNeXt_small_KD:student (repeatable).")]
        [CommandOption("--compare")]
        public string[] Compare { get; init; } = [];

        [Description("How our numbers were measured, stated beside them in the comparison.")]
        [CommandOption("--our-split")]
        public string? OurSplit { get; init; }

        [Description("How our models were trained, stated beside them in the comparison.")]
        [CommandOption("--our-recipe")]
        [DefaultValue("see the runs' config.json")]
        public string OurRecipe { get; init; } = "see the runs' config.json";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => RunSelectionSettings.Guarded(() =>
    {
        var (_, groups) = settings.Load();
        RunGroup Group(string key, string option) => groups.FirstOrDefault(g => g.Group == key)
            ?? throw new ArgumentException($"{option}: expected one of the groups {string.Join(", ", groups.Select(g => g.Group))}, found '{key}'.");
        Directory.CreateDirectory(settings.Out);

        var classes = PaperTables.ClassScores(groups.Select(g => (g.Group, g)).ToArray());
        TableFormat.WriteCsv(classes, Path.Combine(settings.Out, "class_scores.csv"));
        TableFormat.WriteMarkdown(classes, Path.Combine(settings.Out, "class_scores.md"));

        var cells = settings.Cells.Length == 0
            ? groups.Select(g => (g.Group, "accuracy", g)).ToArray()
            : settings.Cells.Select(c => { var (k, a, b) = Parse(c, "--cell"); return (a, b, Group(k, "--cell")); }).ToArray();
        var accuracy = PaperTables.Accuracy(cells);
        TableFormat.WriteCsv(accuracy, Path.Combine(settings.Out, "accuracy.csv"));
        TableFormat.WriteMarkdown(accuracy, Path.Combine(settings.Out, "accuracy.md"));
        var notes = new List<string>();

        if (settings.Compare.Length > 0)
        {
            var published = PublishedMetrics.Read(settings.Published);
            var ourSplit = settings.OurSplit ?? $"our '{settings.Split}' split";
            var entries = settings.Compare.Select(c =>
            {
                var (k, experiment, role) = Parse(c, "--compare");
                return new ComparisonEntry(Group(k, "--compare"), ourSplit, settings.OurRecipe, experiment,
                    SnakeCase.Parse<Role>(role, $"--compare '{c}', role", error: m => new ArgumentException(m)));
            }).ToArray();
            var comparison = PaperTables.Comparison(entries, published);
            TableFormat.WriteCsv(comparison, Path.Combine(settings.Out, "comparison.csv"));
            TableFormat.WriteMarkdown(comparison, Path.Combine(settings.Out, "comparison.md"));
            notes.Add($"comparison with {PublishedMetrics.Citation}: {comparison.Rows.Count} rows");
        }
        notes.Add($"tables written to {settings.Out}");
        TextTable.FromFrame(accuracy).Write(settings.Format, notes);
        return 0;
    });

    private static (string Key, string A, string B) Parse(string text, string option)
    {
        int eq = text.IndexOf('='), colon = text.LastIndexOf(':');
        if (eq <= 0 || colon <= eq + 1 || colon == text.Length - 1)
            throw new ArgumentException($"{option}: expected GROUP=A:B, found '{text}'.");
        return (text[..eq], text[(eq + 1)..colon], text[(colon + 1)..]);
    }
}
