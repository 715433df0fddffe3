using PneuKnow.Data;
using PneuKnow.Runtime;

namespace PneuKnow.Augmentation;

/// <summary>
/// A named sequence of paired transforms (albumentations' <c>Compose</c>): every transform sees the
/// image, the ROI and the mask together and draws from one per-example random stream.
/// </summary>
/// <remarks>
/// The paper's pipelines (docs/design.md#recipe, albumentations defaults unless given):
/// <list type="bullet">
/// <item><c>weak</c>: Resize(size) + ShiftScaleRotate(shift 0.1, scale 0.5, rotate 10, constant 0 border, p 1).</item>
/// <item><c>strong</c>: weak + OneOf(CLAHE, RandomBrightnessContrast, RandomGamma) p 0.9
/// + OneOf(Sharpen, Blur 3, MotionBlur 3) p 0.9 + OneOf(RandomBrightnessContrast, HueSaturationValue) p 0.9.</item>
/// <item><c>valid</c>: Resize(size).</item>
/// <item><c>none</c>: nothing; the dataset's working size passes through.</item>
/// </list>
/// </remarks>
public sealed class AugmentationPipeline
{
    /// <summary>The names of the pipelines <see cref="Create"/> knows (<see cref="AugmentationKind"/> in snake_case).</summary>
    public static IReadOnlyList<string> Names => SnakeCase.Names<AugmentationKind>();

    /// <summary>Pipeline name.</summary>
    public string Name { get; }

    /// <summary>Output side length, or null when the pipeline keeps the input size.</summary>
    public int? Size { get; }

    /// <summary>The transforms, applied in order.</summary>
    public IReadOnlyList<PairedTransform> Transforms { get; }

    /// <summary>A custom pipeline.</summary>
    /// <param name="name">Shown in logs and benchmarks.</param>
    /// <param name="size">Output side length if the transforms fix it (a final Resize), else null.</param>
    /// <param name="transforms">Applied in order.</param>
    public AugmentationPipeline(string name, int? size, IReadOnlyList<PairedTransform> transforms)
    {
        if (size is <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, $"pipeline '{name}': expected a positive size, found {size}");
        (Name, Size, Transforms) = (name, size, transforms);
    }

    /// <summary>One of the paper's pipelines, producing <paramref name="size"/>×<paramref name="size"/> pictures; named as <see cref="Names"/> says.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> ≤ 0, or an undeclared <paramref name="kind"/>.</exception>
    public static AugmentationPipeline Create(AugmentationKind kind, int size = 224)
    {
        var name = SnakeCase.Of(kind);
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, $"pipeline '{name}': expected a positive size, found {size}");
        return kind switch
        {
            AugmentationKind.Weak => new(name, size, Weak(size)),
            AugmentationKind.Strong => new(name, size,
            [
                .. Weak(size),
                new OneOf([new Clahe(), new RandomBrightnessContrast(), new RandomGamma()], probability: 0.9),
                new OneOf([new Sharpen(), new Blur(3), new MotionBlur(3)], probability: 0.9),
                new OneOf([new RandomBrightnessContrast(), new HueSaturationValue()], probability: 0.9),
            ]),
            AugmentationKind.Valid => new(name, size, [new Resize(size, size)]),
            AugmentationKind.None => new(name, null, []),
            // SnakeCase.Of above has refused an undeclared value already.
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    static PairedTransform[] Weak(int size) =>
    [
        new Resize(size, size),
        new ShiftScaleRotate(shiftLimit: 0.1, scaleLimit: 0.5, rotateLimit: 10, probability: 1.0),
    ];

    /// <summary>Applies every transform to a copy of <paramref name="example"/> (the dataset is untouched).</summary>
    public PairedPlanes Apply(AnnotatedImage example, ref AugmentationRandom random)
    {
        var planes = PairedPlanes.From(example);
        foreach (var t in Transforms) t.Apply(planes, ref random);
        return planes;
    }

    /// <summary>
    /// The draw for example <paramref name="index"/> of epoch <paramref name="epoch"/> in a run seeded
    /// <paramref name="seed"/>: the same output whoever computes it, whenever.
    /// </summary>
    public PairedPlanes Apply(AnnotatedImage example, long seed, int epoch, long index)
    {
        var random = AugmentationRandom.ForExample(seed, epoch, index);
        return Apply(example, ref random);
    }
}
