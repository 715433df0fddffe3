using System.ComponentModel;
using System.Globalization;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary><c>pneuknow synth</c>: writes an annotated chest-radiograph phantom in the authors' layout.</summary>
public sealed class SynthCommand : Command<SynthCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Output folder (raw/, roi/, masks/, manifest.csv, phantom.json). Generated data belongs under data/generated/.")]
        public string Out { get; init; } = "";

        [CommandOption("--wait")]
        [Description("When another process writes into the output folder (its lock names it), wait until it finishes instead of failing with exit 2.")]
        public bool Wait { get; init; }

        [CommandOption("--images <N>")]
        [Description("Number of images (default 1082, the study's size).")]
        [DefaultValue(1082)]
        public int Images { get; init; } = 1082;

        [CommandOption("--size <PX>")]
        [Description("Image side in pixels.")]
        [DefaultValue(256)]
        public int Size { get; init; } = 256;

        [CommandOption("--seed <S>")]
        [Description("Seed: the same seed gives byte-identical output.")]
        [DefaultValue(1UL)]
        public ulong Seed { get; init; } = 1;

        [CommandOption("--classes <SHARES>")]
        [Description("Class shares as LABEL=weight pairs, e.g. B=1,C=1,NB=1,P=1,V=1 (default: the study's balance B=95,C=115,NB=653,P=145,V=74).")]
        public string? Classes { get; init; }

        [CommandOption("--conspicuity <X>")]
        [Description("Finding contrast multiplier: 1 default, 0.5 faint, 2 obvious.")]
        [DefaultValue(1.0)]
        public double Conspicuity { get; init; } = 1.0;

        [CommandOption("--atypical <SHARE>")]
        [Description("Share of atypical/ambiguous cases (0..1).")]
        [DefaultValue(0.15)]
        public double Atypical { get; init; } = 0.15;

        [CommandOption("--shortcut <STRENGTH>")]
        [Description("Out-of-lung confounder strength (0..1): device presence correlates with class in train/valid, not in test.")]
        [DefaultValue(0.25)]
        public double Shortcut { get; init; } = 0.25;

        [CommandOption("--multi-image <SHARE>")]
        [Description("Share of patients with 2-4 images.")]
        [DefaultValue(0.2)]
        public double MultiImage { get; init; } = 0.2;

        [CommandOption("--splits <FRACTIONS>")]
        [Description("train,valid[[,test]] image fractions, patient-level and stratified (default 0.7,0.15,0.15).")]
        public string? Splits { get; init; }

        [CommandOption("--authors-splits")]
        [Description("The authors' layout: train/valid only (0.8,0.2), no test split.")]
        public bool AuthorsSplits { get; init; }

        [CommandOption("--healthy-roi <WHAT>")]
        [Description("ROI of healthy images: empty (default) or lungs.")]
        [DefaultValue("empty")]
        public string HealthyRoi { get; init; } = "empty";

        [CommandOption("--threads <N>")]
        [Description("Parallel renderers (default: all cores); the output does not depend on it.")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out: expected an output folder, found none.");
            if (AuthorsSplits && Splits is not null) return ValidationResult.Error("--authors-splits and --splits: expected at most one of them, found both.");
            if (HealthyRoi is not ("empty" or "lungs")) return ValidationResult.Error($"--healthy-roi: expected empty or lungs, found '{HealthyRoi}'.");
            if (Threads < 0) return ValidationResult.Error($"--threads: expected 0 (all cores) or a positive count, found {Threads}.");
            // The generator's own range checks, before the output folder is locked or created; their messages name the
            // option's field (PhantomOptions.Size), which becomes the option the user typed (--size).
            try { ToOptions().Validate(); }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                var message = e.Message;
                foreach (var (field, option) in OptionOfField)
                    message = message.Replace($"PhantomOptions.{field}", option, StringComparison.Ordinal);
                message = message.Replace("Split fractions:", "--splits:", StringComparison.Ordinal);
                // A list option's message names the part that is wrong; the value as typed says where it came from.
                if (message.StartsWith("--classes", StringComparison.Ordinal) && Classes is not null && !message.Contains(Classes, StringComparison.Ordinal))
                    message = message.TrimEnd('.') + $" (in --classes {Classes}).";
                if (message.StartsWith("--splits", StringComparison.Ordinal) && Splits is not null && !message.Contains(Splits, StringComparison.Ordinal))
                    message = message.TrimEnd('.') + $" (in --splits {Splits}).";
                return ValidationResult.Error(message);
            }
            return ThreadCount.Check(Threads);
        }

        /// <summary>The option that sets each <see cref="PhantomOptions"/> field the generator checks.</summary>
        static readonly (string Field, string Option)[] OptionOfField =
        [
            ("Images", "--images"), ("Size", "--size"), ("Conspicuity", "--conspicuity"), ("AtypicalShare", "--atypical"),
            ("ShortcutStrength", "--shortcut"), ("MultiImagePatientShare", "--multi-image"), ("ClassShares", "--classes"),
        ];

        public PhantomOptions ToOptions() => new()
        {
            Images = Images, Size = Size, Seed = Seed, Conspicuity = Conspicuity, AtypicalShare = Atypical,
            ShortcutStrength = Shortcut, MultiImagePatientShare = MultiImage, Threads = Threads,
            ClassShares = Classes is null ? null : ParseShares(Classes),
            Splits = AuthorsSplits ? SplitFractions.Authors : Splits is null ? SplitFractions.Default : SplitFractions.Parse(Splits),
            HealthyRoi = HealthyRoi == "lungs" ? PneuKnow.Data.Phantom.HealthyRoi.Lungs : PneuKnow.Data.Phantom.HealthyRoi.Empty,
        };

        private static Dictionary<string, double> ParseShares(string text)
        {
            var d = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
                if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w))
                    throw new FormatException($"--classes: expected LABEL=weight pairs such as B=95,C=115, found '{part}' in '{text}'.");
                d[kv[0]] = w;
            }
            return d;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        using var owned = OutputFolder.Own(settings.Out, context, settings.Wait, cancellationToken);
        var ds = TerminalProgress.Run(p => PhantomGenerator.Generate(options, settings.Out, p));
        var o = Console.Out;
        o.WriteLine($"wrote {ds.Cases.Count} images ({options.Size} px, seed {options.Seed}) to {Path.GetFullPath(ds.Directory)} in {ds.Elapsed.TotalSeconds:F1} s");
        o.WriteLine($"manifest: {ds.ManifestPath}");
        foreach (var g in ds.Cases.GroupBy(c => c.Label).OrderBy(g => g.Key, StringComparer.Ordinal))
            o.WriteLine($"  {g.Key,-3} {PhantomFindings.Describe(g.Key),-9} " + string.Join("  ", SplitNames.All.Select(s => $"{s} {g.Count(c => c.Split == s),4}")));
        o.WriteLine($"patients: {ds.Cases.Select(c => c.PatientId).Distinct().Count()}");
        return 0;
    }
}
