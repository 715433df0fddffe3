using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary>Options of the commands that build every backbone of the zoo at one input size.</summary>
public class ZooSettings : TorchSettings, IFormattedOutput
{
    [CommandOption(IFormattedOutput.Option)]
    [Description(IFormattedOutput.Help)]
    [DefaultValue(IFormattedOutput.Default)]
    public OutputFormat Format { get; init; } = IFormattedOutput.Default;

    [CommandOption("--size <PIXELS>")]
    [Description("Input height and width.")]
    [DefaultValue(224)]
    public int Size { get; init; } = 224;

    public override ValidationResult Validate() =>
        Size < 32 ? ValidationResult.Error($"--size: expected at least 32 pixels, found {Size}.") : base.Validate();
}
