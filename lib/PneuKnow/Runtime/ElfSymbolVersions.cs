using System.Buffers.Binary;
using System.Text;

namespace PneuKnow.Runtime;

/// <summary>
/// Reads and edits the symbol-version requirements (<c>.gnu.version_r</c>) of a 64-bit
/// little-endian ELF shared library.
/// </summary>
/// <remarks>
/// TorchSharp's <c>libLibTorchSharp.so</c> is built with GCC 13 and so records a requirement on
/// <c>GLIBCXX_3.4.32</c> for a single marker symbol that is never called. Marking that requirement
/// weak (<c>VER_FLG_WEAK</c>) turns the loader's hard failure on older libstdc++ into a warning.
/// </remarks>
public static class ElfSymbolVersions
{
    /// <summary>The ELF flag that makes a version requirement optional.</summary>
    public const ushort VerFlagWeak = 0x2;

    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>One version requirement (a <c>Vernaux</c> entry).</summary>
    /// <param name="Library">The needed library, e.g. <c>libstdc++.so.6</c>.</param>
    /// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
    /// <param name="Flags">The entry's <c>vna_flags</c>.</param>
    /// <param name="FlagsOffset">File offset of <c>vna_flags</c>.</param>
    public sealed record Requirement(string Library, string Version, ushort Flags, long FlagsOffset)
    {
        /// <summary>Whether the loader only warns when the version is missing.</summary>
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    /// <summary>Lists every version requirement of an ELF file.</summary>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF file or is truncated.</exception>
    public static IReadOnlyList<Requirement> ReadRequirements(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return ReadRequirements(bytes, path);
    }

    static IReadOnlyList<Requirement> ReadRequirements(byte[] b, string path)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException($"{path}: expected an ELF file (magic 7F 45 4C 46), found {Convert.ToHexString(b.AsSpan(0, Math.Min(4, b.Length)))}.");
        if (b[4] != 2 || b[5] != 1)
            throw new InvalidDataException($"{path}: expected a 64-bit little-endian ELF file, found class {b[4]} and data encoding {b[5]}.");

        long shoff = (long)ReadU64(b, 0x28, path);
        int shentsize = ReadU16(b, 0x3A, path);
        int shnum = ReadU16(b, 0x3C, path);
        var result = new List<Requirement>();
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (ReadU32(b, sh + 4, path) != ShtGnuVerneed) continue;
            long offset = (long)ReadU64(b, sh + 0x18, path);
            int link = (int)ReadU32(b, sh + 0x28, path);
            int count = (int)ReadU32(b, sh + 0x2C, path);
            long strtab = (long)ReadU64(b, shoff + (long)link * shentsize + 0x18, path);

            long vn = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = ReadU16(b, vn + 2, path);
                string library = ReadString(b, strtab + ReadU32(b, vn + 4, path), path);
                long aux = vn + ReadU32(b, vn + 8, path);
                for (int a = 0; a < auxCount; a++)
                {
                    ushort flags = ReadU16(b, aux + 4, path);
                    string version = ReadString(b, strtab + ReadU32(b, aux + 8, path), path);
                    result.Add(new Requirement(library, version, flags, aux + 4));
                    uint nextAux = ReadU32(b, aux + 12, path);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = ReadU32(b, vn + 12, path);
                if (next == 0) break;
                vn += next;
            }
        }
        return result;
    }

    /// <summary>
    /// Marks the named version requirement weak, writing through a temporary file and keeping
    /// <c>&lt;path&gt;.orig</c> as a backup of the original. Returns false when there was nothing
    /// to change (no such requirement, or already weak).
    /// </summary>
    public static bool MarkWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        var targets = ReadRequirements(bytes, path).Where(r => r.Version == version && !r.IsWeak).ToList();
        if (targets.Count == 0) return false;
        foreach (var r in targets)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)r.FlagsOffset, 2), (ushort)(r.Flags | VerFlagWeak));

        var backup = path + ".orig";
        if (!File.Exists(backup)) File.Copy(path, backup);
        AtomicFile.ReplaceAllBytes(path, bytes);
        return true;
    }

    static ushort ReadU16(byte[] b, long at, string path) =>
        BinaryPrimitives.ReadUInt16LittleEndian(Slice(b, at, 2, path));
    static uint ReadU32(byte[] b, long at, string path) =>
        BinaryPrimitives.ReadUInt32LittleEndian(Slice(b, at, 4, path));
    static ulong ReadU64(byte[] b, long at, string path) =>
        BinaryPrimitives.ReadUInt64LittleEndian(Slice(b, at, 8, path));

    static ReadOnlySpan<byte> Slice(byte[] b, long at, int length, string path)
    {
        if (at < 0 || at + length > b.Length)
            throw new InvalidDataException($"{path}: truncated ELF file (needed {length} bytes at offset {at}, file has {b.Length}).");
        return b.AsSpan((int)at, length);
    }

    static string ReadString(byte[] b, long at, string path)
    {
        if (at < 0 || at >= b.Length) throw new InvalidDataException($"{path}: ELF string offset {at} is outside the file ({b.Length} bytes).");
        int end = Array.IndexOf(b, (byte)0, (int)at);
        if (end < 0) throw new InvalidDataException($"{path}: unterminated ELF string at offset {at}.");
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
