using System.ComponentModel;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>
/// Settings of the commands that take one study folder: the folder, and the subfolder it must hold for the command
/// (one validation for all of them).
/// </summary>
public abstract class StudyFolderSettings : CommandSettings
{
    /// <summary>The study folder.</summary>
    [CommandArgument(0, "<STUDY>")]
    [Description("A study folder written by `reproduce`, `merge` or `report`.")]
    public string Study { get; init; } = "";

    /// <summary>The subfolder the command needs in it (<c>runs</c>, <c>figures</c>).</summary>
    protected abstract string Holds { get; }

    /// <inheritdoc />
    public override Spectre.Console.ValidationResult Validate() =>
        Directory.Exists(Path.Combine(Study, Holds)) ? Spectre.Console.ValidationResult.Success()
            : Spectre.Console.ValidationResult.Error($"<STUDY>: expected a study folder holding {Holds}/, found no {Path.Combine(Study, Holds)}.");
}
