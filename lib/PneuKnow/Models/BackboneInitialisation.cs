using System.Collections.Concurrent;
using System.Security.Cryptography;
using PneuKnow.Models.Onnx;

namespace PneuKnow.Models;

/// <summary>
/// The initialisation a backbone actually starts from, as a string that goes into a run's identity:
/// <c>pretrained:&lt;SHA-256 of the weights file&gt;</c> or <c>random:&lt;init seed&gt;</c>. A run trained from
/// random weights must never be reused for a pretrained request of the same config (or the other way
/// round), and two pretrained runs from different weight files are different runs.
/// </summary>
public static class BackboneInitialisation
{
    const string PretrainedPrefix = "pretrained:";
    const string RandomPrefix = "random:";

    // Weight files are tens to hundreds of MB; a study builds the same backbone dozens of times.
    static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Digests = new();

    /// <summary>The identity of an initialisation.</summary>
    /// <param name="architecture">A <see cref="BackboneZoo"/> name.</param>
    /// <param name="pretrained">True when the backbone loads <see cref="BackboneZoo.Pretrained"/> weights.</param>
    /// <param name="initSeed">The torch seed set just before the backbone is built (what a random init depends on).</param>
    /// <exception cref="FileNotFoundException">Pretrained weights requested but none on this machine (the message names where they were looked for).</exception>
    public static string Describe(string architecture, bool pretrained, long initSeed) =>
        pretrained ? PretrainedPrefix + Sha256(WeightsFile(architecture)) : RandomPrefix + initSeed.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="identity"/> (from <see cref="Describe"/>) names pretrained weights.</summary>
    public static bool IsPretrained(string identity) => identity.StartsWith(PretrainedPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The file whose content the pretrained weights of <paramref name="architecture"/> are: the bundled ONNX network
    /// for <c>cntk_resnet18</c> (its converted cache is derived from it), else the file in <see cref="WeightStore"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">There are none on this machine.</exception>
    public static string WeightsFile(string architecture) =>
        architecture == "cntk_resnet18" ? CntkResNet18Files.Locate().ModelPath : WeightStore.Require(architecture);

    /// <summary>SHA-256 of a file as lowercase hex, memoised per path, size and modification time.</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"weights file not found: {path}", path);
        return Digests.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
