using System.ComponentModel;
using PneuKnow.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Evaluation;

/// <summary>Which run folders, which split, and how runs are grouped.</summary>
public class RunSelectionSettings : CommandSettings
{
    [Description("Run folders, each with predictions_<split>.csv.")]
    [CommandArgument(0, "<runs>")]
    public string[] Runs { get; init; } = [];

    [Description("Which predictions to read: valid or test.")]
    [CommandOption("--split")]
    [DefaultValue("valid")]
    public string Split { get; init; } = "valid";

    [Description("Group repeated runs by 'name' (folder name without a trailing run number) or 'parent' (the containing folder's name).")]
    [CommandOption("--group-by")]
    [DefaultValue("name")]
    public string GroupBy { get; init; } = "name";

    [Description("Standard deviation over runs: 0 = population (as the authors), 1 = sample.")]
    [CommandOption("--ddof")]
    [DefaultValue(0)]
    public int Ddof { get; init; }

    public override ValidationResult Validate()
    {
        if (Runs.Length == 0) return ValidationResult.Error("Expected at least one run folder, found none.");
        if (GroupBy is not ("name" or "parent")) return ValidationResult.Error($"--group-by: expected 'name' or 'parent', found '{GroupBy}'.");
        if (Ddof is not (0 or 1)) return ValidationResult.Error($"--ddof: expected 0 or 1, found {Ddof}.");
        return ValidationResult.Success();
    }

    /// <summary>Loads and summarises the selected runs.</summary>
    public (IReadOnlyList<EvaluatedRun> Runs, IReadOnlyList<RunGroup> Groups) Load()
    {
        var runs = RunFolders.Load(Runs, Split, GroupBy == "parent" ? RunFolders.GroupByParent : RunFolders.GroupByName);
        return (runs, RepeatedRuns.Summarize(runs, Ddof));
    }

    /// <summary>Runs <paramref name="body"/>, turning bad input into a one-line error and exit code 1.</summary>
    public static int Guarded(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or KeyNotFoundException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
