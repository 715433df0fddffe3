using System.ComponentModel;
using PneuKnow.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary><c>pneuknow data check</c>: validates a manifest (and optionally decodes it) and prints class/split counts.</summary>
public sealed class DataCheckCommand : Command<DataCheckCommand.Settings>
{
    public sealed class Settings : ManifestSettings
    {
        [CommandOption("--decode <SIZE>")]
        [Description("Also decode every image at this working size (finds corrupt pixel data; reports memory).")]
        public int? Decode { get; init; }

        [CommandOption("--cache <DIR>")]
        [Description("Decoded-image cache folder for --decode (e.g. data/cache).")]
        public string? Cache { get; init; }

        public override ValidationResult Validate()
        {
            if (Decode is { } size && (size < ImageStore.MinSize || size > ImageStore.MaxSize))
                return ValidationResult.Error($"--decode: expected a working size of {ImageStore.MinSize}..{ImageStore.MaxSize} pixels, found {size}.");
            if (Cache is not null && Decode is null) return ValidationResult.Error("--cache: expected together with --decode (the cache holds decoded images), found --cache alone.");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var o = Console.Out;
        var manifest = Manifest.Load(settings.Manifest, settings.ToOptions());
        settings.CheckClasses(manifest);
        IReadOnlyList<SkippedItem> skipped = manifest.Skipped;
        if (settings.Decode is { } size)
        {
            var store = TerminalProgress.Run(p => ImageStore.Open(manifest, size, new ImageStoreOptions { CacheDirectory = settings.Cache, SkipInvalid = settings.SkipInvalid }, p));
            skipped = store.Skipped;
            // The counts below are of the images that decoded (an image skipped here is not in the store).
            manifest = manifest.Without(store.Skipped.Skip(manifest.Skipped.Count).ToList());
            if (store.CacheWarning is { } warning) Console.Error.WriteLine($"warning: {warning}");
            o.WriteLine($"decoded {store.Decoded}, from cache {store.CacheHits}; {store.All.Count} images at {size} px hold {store.FootprintBytes / 1048576.0:F1} MiB");
        }
        o.WriteLine($"{manifest.Path}: {manifest.Records.Count} images, {manifest.Records.Select(r => r.PatientId).Distinct().Count()} patients"
            + (manifest.HasPatientIds ? "" : " (no patient_id column: one patient per image)"));
        o.WriteLine($"classes (code order): {string.Join(", ", manifest.Classes.Select((c, i) => $"{i}={c}"))}");
        foreach (var (cls, per) in manifest.CountsByClassAndSplit())
            o.WriteLine($"  {cls,-4} " + string.Join("  ", per.Select(kv => $"{kv.Key} {kv.Value,5}")));
        if (!manifest.HasSplits) o.WriteLine("no split column: assign splits with `pneuknow data split`.");
        if (skipped.Count > 0)
        {
            SkipReport.Write(settings.ReportPath, skipped);
            o.WriteLine($"skipped {skipped.Count} invalid items; report: {settings.ReportPath}");
        }
        return 0;
    }
}
