using System.ComponentModel;
using PneuKnow.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary><c>pneuknow data split</c>: writes a manifest with patient-level stratified splits, or carves a test split.</summary>
public sealed class DataSplitCommand : Command<DataSplitCommand.Settings>
{
    public sealed class Settings : ManifestSettings
    {
        [CommandOption("--out <CSV>")]
        [Description("Where the new manifest goes (file_name,class,split,patient_id).")]
        public string Out { get; init; } = "";

        [CommandOption("--fractions <F>")]
        [Description("Reassign every split: train,valid[[,test]] fractions (default 0.7,0.15,0.15).")]
        public string? Fractions { get; init; }

        [CommandOption("--carve-test <FRACTION>")]
        [Description("Keep the CSV's splits and move this fraction of the train split's images (whole patients) to test.")]
        public double? CarveTest { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seed of the patient shuffle.")]
        [DefaultValue(1UL)]
        public ulong Seed { get; init; } = 1;

        public override ValidationResult Validate()
        {
            var b = base.Validate();
            if (!b.Successful) return b;
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out: expected a CSV path, found none.");
            if (Fractions is not null && CarveTest is not null) return ValidationResult.Error("--fractions and --carve-test: expected at most one, found both.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var manifest = Manifest.Load(settings.Manifest, settings.ToOptions());
        settings.CheckClasses(manifest);
        if (settings.SkipInvalid)
        {
            // The manifest's checks read image headers only; a truncated or corrupt PNG passes them. Decoding every image
            // (at the smallest working size: the decode is the check) keeps such images out of the new manifest.
            var store = TerminalProgress.Run(p => ImageStore.Open(manifest, ImageStore.MinSize, new ImageStoreOptions { SkipInvalid = true }, p));
            manifest = manifest.Without(store.Skipped.Skip(manifest.Skipped.Count).ToList());
        }
        var result = settings.CarveTest is { } f
            ? manifest.CarveTest(f, settings.Seed)
            : manifest.WithPatientSplits(settings.Fractions is null ? SplitFractions.Default : SplitFractions.Parse(settings.Fractions), settings.Seed);
        result.Save(settings.Out);
        var o = Console.Out;
        o.WriteLine($"wrote {settings.Out}: {result.Records.Count} images");
        foreach (var (cls, per) in result.CountsByClassAndSplit())
            o.WriteLine($"  {cls,-4} " + string.Join("  ", per.Select(kv => $"{kv.Key} {kv.Value,5}")));
        if (manifest.Skipped.Count > 0)
        {
            SkipReport.Write(settings.ReportPath, manifest.Skipped);
            o.WriteLine($"skipped {manifest.Skipped.Count} invalid items; report: {settings.ReportPath}");
        }
        return 0;
    }
}
