namespace PneuKnow.Augmentation;

/// <summary>
/// The paper's augmentation pipelines (<see cref="AugmentationPipeline.Create"/>). Config files (<c>augmentations</c>),
/// <c>run.json</c> and <c>config.json</c> name them in snake_case through <see cref="Runtime.SnakeCase"/>: <c>weak</c>,
/// <c>strong</c>, <c>valid</c>, <c>none</c>.
/// </summary>
public enum AugmentationKind
{
    /// <summary>Resize and a random shift, scale and rotation.</summary>
    Weak,
    /// <summary>Weak, then three photometric steps (the paper's default).</summary>
    Strong,
    /// <summary>Resize only: what validation and test images go through; not a training choice of a config.</summary>
    Valid,
    /// <summary>Nothing: the dataset's working size passes through.</summary>
    None,
}
