using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary>
/// <c>pneuknow bench data</c>: phantom generation and image-store throughput against the targets, with a
/// baseline measured in the same run (plain ImageSharp decoding of the same PNGs).
/// </summary>
public sealed class BenchDataCommand : Command<BenchDataCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--images <N>")]
        [DefaultValue(1082)]
        public int Images { get; init; } = 1082;

        [CommandOption("--size <PX>")]
        [DefaultValue(256)]
        public int Size { get; init; } = 256;

        [CommandOption("--store-size <PX>")]
        [Description("Working size of the image store (default: --size, so nothing is resized); smaller than --size measures the store's resize.")]
        [DefaultValue(0)]
        public int StoreSize { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Worker threads (default: all cores).")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        [CommandOption("--keep <DIR>")]
        [Description("Generate into this folder and keep it (default: a temporary folder, deleted afterwards).")]
        public string? Keep { get; init; }

        public override ValidationResult Validate() =>
            StoreSize is not (0 or (>= 8 and <= 4096)) ? ValidationResult.Error($"--store-size: expected 8..4096 pixels (or 0 for --size), found {StoreSize}.")
            : Threads < 0 ? ValidationResult.Error($"--threads: expected 0 (all cores) or a positive count, found {Threads}.") : ThreadCount.Check(Threads);
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var o = Console.Out;
        string dir = s.Keep ?? Path.Combine(Path.GetTempPath(), "pneuknow-bench-data-" + Environment.ProcessId);
        string cache = Path.Combine(dir, "cache");
        if (Directory.Exists(cache)) Directory.Delete(cache, true);
        try
        {
            o.WriteLine($"machine: {BenchMachine.CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
            int storeSize = s.StoreSize > 0 ? s.StoreSize : s.Size;
            o.WriteLine($"workload: {s.Images} phantom images at {s.Size} px into a {storeSize} px store, threads {(s.Threads > 0 ? s.Threads : Environment.ProcessorCount)}");

            o.WriteLine($"load average before: {BenchMachine.LoadAverage()} (wall-clock rates on a shared machine are lower bounds; cpu s is this process's CPU time)");
            int threads = s.Threads > 0 ? s.Threads : Environment.ProcessorCount;
            var clock = new StageClock();
            var ds = PhantomGenerator.Generate(new PhantomOptions { Images = s.Images, Size = s.Size, Threads = s.Threads }, dir);
            var (synth, synthCpu) = clock.Lap();
            o.WriteLine($"synth:          {synth,7:F1} s  {s.Images / synth,8:F0} images/s   cpu {synthCpu,6:F1} s (≈ {synthCpu / threads:F1} s on {threads} idle cores)   target: 1082 images at 256 px in < 60 s");

            // Baseline: decoding the raw PNGs alone with ImageSharp, no ROI/mask, no resize, same threads.
            var po = new ParallelOptions { MaxDegreeOfParallelism = s.Threads > 0 ? s.Threads : Environment.ProcessorCount };
            clock.Lap();
            Parallel.ForEach(ds.Cases, po, c => { using var img = Image.Load<L8>(Path.Combine(dir, "raw", c.FileName)); });
            var (bw, bc) = clock.Lap();
            double baseline = s.Images / bw;
            o.WriteLine($"baseline:       {baseline,17:F0} images/s   cpu {bc,6:F1} s (≈ {s.Images * threads / bc:F0} images/s idle)   ImageSharp decode of raw/ only");

            var manifest = Manifest.Load(ds.ManifestPath);
            var storeOptions = new ImageStoreOptions { CacheDirectory = cache, Threads = s.Threads };
            clock.Lap();
            var cold = ImageStore.Open(manifest, storeSize, storeOptions);
            var (cw, cc) = clock.Lap();
            double coldRate = s.Images / cw;
            o.WriteLine($"store cold:     {coldRate,17:F0} images/s   cpu {cc,6:F1} s (≈ {s.Images * threads / cc:F0} images/s idle)   {coldRate / baseline:F2}× baseline; decodes raw+roi+masks, resizes, writes cache; target ≥ 200");
            var warm = ImageStore.Open(manifest, storeSize, storeOptions);
            var (ww, wc) = clock.Lap();
            double warmRate = s.Images / ww;
            o.WriteLine($"store cached:   {warmRate,17:F0} images/s   cpu {wc,6:F1} s (≈ {s.Images * threads / wc:F0} images/s idle)   {warmRate / baseline:F2}× baseline; {warm.CacheHits} cache hits; target ≥ 2000");
            o.WriteLine($"memory:         {warm.FootprintBytes / 1048576.0,10:F1} MiB of pixels in the store");
            // The floor under any in-memory load: writing the same number of bytes into fresh planes of the same size.
            // On a virtual machine whose first touch of a page is expensive this, not the cache format, bounds the rate.
            clock.Lap();
            var planes = new byte[(int)(warm.FootprintBytes / ((long)storeSize * storeSize))][];
            Parallel.For(0, planes.Length, po, i =>
            {
                planes[i] = GC.AllocateUninitializedArray<byte>(storeSize * storeSize, pinned: true);
                planes[i].AsSpan().Fill(1);
            });
            var (tw, tc) = clock.Lap();
            o.WriteLine($"first touch:    {s.Images / tw,17:F0} images/s   cpu {tc,6:F1} s (≈ {s.Images * threads / tc:F0} images/s idle)   writing {planes.Length} fresh {storeSize}² planes, the store's footprint: the floor under any load; store cached = {ww / tw:F2}× this time");
            GC.KeepAlive(planes);
            bool ok = cold.Decoded == s.Images && warm.CacheHits == s.Images;
            if (!ok) { o.WriteLine($"unexpected: cold decoded {cold.Decoded}, warm cache hits {warm.CacheHits} of {s.Images}"); return 1; }
            return 0;
        }
        finally
        {
            if (s.Keep is null && Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    // Wall-clock and process CPU time between laps.
    private sealed class StageClock
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        public (double Wall, double Cpu) Lap()
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var r = (_wall.Elapsed.TotalSeconds, (cpu - _cpu).TotalSeconds);
            _wall.Restart(); _cpu = cpu;
            return r;
        }
    }
}
