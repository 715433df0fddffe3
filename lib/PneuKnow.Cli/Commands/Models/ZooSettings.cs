using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary>Options of the commands that build every backbone of the zoo at one input size.</summary>
public class ZooSettings : TorchSettings, IFormattedOutput
{
    [CommandOption("--format <FORMAT>")]
    [Description("How the table prints: table, csv, json or md (script formats send the notes under the table to stderr).")]
    [DefaultValue(OutputFormat.Table)]
    public OutputFormat Format { get; init; } = OutputFormat.Table;

    [CommandOption("--size <PIXELS>")]
    [Description("Input height and width.")]
    [DefaultValue(224)]
    public int Size { get; init; } = 224;

    public override ValidationResult Validate() =>
        Size < 32 ? ValidationResult.Error($"--size: expected at least 32 pixels, found {Size}.") : base.Validate();
}
