using System.Runtime.InteropServices;

namespace PneuKnow.Augmentation;

/// <summary>
/// Keeps freed multi-megabyte native blocks (batch tensors, activations) in the C heap for reuse instead of handing
/// them back to the kernel.
/// </summary>
/// <remarks>
/// glibc serves blocks above its mmap threshold (128 KiB, raised dynamically up to 32 MiB) with fresh mappings and
/// unmaps them on free, and trims the heap top above its trim threshold, so every batch tensor would start on pages
/// the process has never touched. A first touch costs a page fault per 4 KiB; on the sandboxed 2-core machine that
/// measured ~45 ms for the 11 MB of float planes of one 224 px batch of 8 (≈ 5 ms per image, more than the
/// strong augmentation itself), against ~0.2 ms once the blocks are recycled. Raising both thresholds to glibc's
/// maximum mmap threshold (32 MiB) makes a batch reuse the blocks of the batches already disposed. The cost is
/// that the peak of such blocks stays mapped for the life of the process. Elsewhere (musl, macOS, Windows) the call
/// is skipped or ignored; only speed depends on it, never results.
/// </remarks>
public static class NativeHeap
{
    const int MmapThreshold = -3; // M_MMAP_THRESHOLD
    const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    const int MaxMmapThreshold = 32 << 20; // glibc rejects more (HEAP_MAX_SIZE / 2 on 64-bit)
    static int _done;

    /// <summary>Whether the C heap was asked to keep large blocks (false where the platform has no such knob).</summary>
    public static bool Kept { get; private set; }

    /// <summary>Sets glibc's mmap and trim thresholds once per process; later calls do nothing.</summary>
    public static void KeepLargeBlocks()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1 || !OperatingSystem.IsLinux()) return;
        try
        {
            Kept = mallopt(MmapThreshold, MaxMmapThreshold) == 1 && mallopt(TrimThreshold, 2 * MaxMmapThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Kept = false;
        }
    }

    /// <summary>
    /// Hands every free page of the C heap back to the kernel (glibc's <c>malloc_trim(0)</c>, all arenas), so that the
    /// resident set read next counts the blocks in use and their fragmentation, not the blocks <see cref="KeepLargeBlocks"/>
    /// keeps for reuse. For memory measurements only: the next batches fault their pages in again.
    /// </summary>
    /// <returns>Whether the heap was trimmed: false where the platform has no such call (not glibc).</returns>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            malloc_trim(0); // 1 if it released memory, 0 if none was free: trimmed either way
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Bytes the C heap has handed out and not yet been given back (glibc's <c>mallinfo2</c>: <c>uordblks</c> + <c>hblkhd</c>,
    /// summed over all arenas): native memory in use, whatever pages are resident. Null where the platform has no such call.
    /// </summary>
    public static long? InUseBytes()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var m = mallinfo2();
            return (long)(m.uordblks + m.hblkhd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // glibc >= 2.33 (Debian 12 has 2.36): ten size_t fields.
    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 mallinfo2();

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int param, int value);
}
