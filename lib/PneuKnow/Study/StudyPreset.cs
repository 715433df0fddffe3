namespace PneuKnow.Study;

/// <summary>
/// One experimental arm of the paper: how the networks are regularised and how the teacher is taught.
/// </summary>
/// <param name="Name">Short name used in folder names and tables (the authors' suffixes: do, nodo, weakaug, noroi, roi30...).</param>
/// <param name="Dropout">Dropout before the classifier (the paper: 0.5, or 0 for "nodo").</param>
/// <param name="Augmentation">Training pipeline: <c>strong</c> (paper default) or <c>weak</c>.</param>
/// <param name="RoiFraction">Share of training images whose ROI the teacher sees (1.0 = all).</param>
/// <param name="TeacherOnRaw">The "noroi" control: the teacher learns from raw images, not ROIs.</param>
/// <param name="WithBaseline">Whether this arm also trains a baseline (ROI ablations reuse the main arm's).</param>
/// <param name="OnlyBackbones">Backbones that run this arm (null: every backbone of the preset); lets a CPU preset run the controls on one backbone.</param>
public sealed record StudyVariant(string Name, double Dropout, string Augmentation, double RoiFraction = 1.0,
    bool TeacherOnRaw = false, bool WithBaseline = true, IReadOnlyList<string>? OnlyBackbones = null)
{
    /// <summary>Whether <paramref name="backbone"/> runs this arm.</summary>
    public bool AppliesTo(string backbone) => OnlyBackbones is null || OnlyBackbones.Contains(backbone);

    /// <summary>The paper's main arm: dropout 0.5, strong augmentation, teacher on every ROI.</summary>
    public static StudyVariant Main { get; } = new("do", 0.5, "strong");

    /// <summary>The control where the teacher learns from raw images instead of ROIs.</summary>
    public static StudyVariant NoRoi { get; } = new("noroi", 0.5, "strong", TeacherOnRaw: true, WithBaseline: false);

    /// <summary>An annotation-budget arm: the teacher sees the ROIs of a fraction of the training images.</summary>
    public static StudyVariant RoiBudget(double fraction) =>
        new($"roi{Math.Round(fraction * 100):0}", 0.5, "strong", RoiFraction: fraction, WithBaseline: false);
}

/// <summary>What data a study trains on: the phantom generator's knobs (or an existing dataset).</summary>
/// <param name="Images">Number of phantom images.</param>
/// <param name="ImageSize">Side of the generated images in pixels.</param>
/// <param name="Seed">Generator seed.</param>
/// <param name="ExistingManifest">A manifest of real data to use instead of generating (authors' layout).</param>
/// <param name="Conspicuity">The generator's finding-contrast multiplier (1 = its default look at 256 px).</param>
public sealed record StudyData(int Images, int ImageSize, int Seed = 2023, string? ExistingManifest = null, double Conspicuity = 1.0);

/// <summary>
/// A complete, named study recipe (DESIGN.md §8): the grid of backbones × arms × repeated runs
/// and every training hyper-parameter. <see cref="Paper"/> is the published recipe.
/// </summary>
/// <param name="Name">smoke, quick or paper.</param>
/// <param name="Data">The data the study trains on.</param>
/// <param name="Resolution">Network input size (the paper: 224).</param>
/// <param name="Backbones">timm-style backbone names.</param>
/// <param name="Variants">Arms of the study.</param>
/// <param name="Runs">Repeated runs per cell (derived seeds).</param>
/// <param name="Epochs">Epochs for baselines and students (the teacher trains floor(TeacherEpochs / roi_fraction)).</param>
/// <param name="TeacherEpochs">The teacher's epoch budget before dividing by the ROI fraction (the paper: 20).</param>
/// <param name="KdEpochs">Epochs with a non-zero consistency weight (the paper: 40).</param>
/// <param name="BatchSize">Mini-batch size (the paper: 8).</param>
/// <param name="LearningRate">Adam learning rate (the paper: 1e-4).</param>
/// <param name="Schedule">paper (cosine stepped per batch), cosine (per epoch) or constant.</param>
/// <param name="Recipe">paper = select and report on the validation split as the authors did; heldout = select on validation, report on a held-out test split.</param>
/// <param name="Seed">Base seed; run k of a cell derives its own.</param>
/// <param name="RequirePretrained">True: every backbone must start from ImageNet weights (missing weights are an error); false: use them where this machine has them, else random initialisation.</param>
/// <param name="ScratchLearningRate">Learning rate of backbones that start from random initialisation (null: <paramref name="LearningRate"/>).
/// Fine-tuning rates leave a network trained from scratch at the majority class for a short budget.</param>
/// <param name="AuthorsDoubleForward">The HKD student runs two forward passes per step as the authors' code does (BatchNorm statistics update twice; see <c>StageConfig.AuthorsDoubleForward</c>).</param>
public sealed record StudyPreset(
    string Name,
    StudyData Data,
    int Resolution,
    IReadOnlyList<string> Backbones,
    IReadOnlyList<StudyVariant> Variants,
    int Runs,
    int Epochs,
    int TeacherEpochs,
    int KdEpochs,
    int BatchSize,
    double LearningRate,
    string Schedule,
    string Recipe,
    int Seed = 42,
    bool RequirePretrained = false,
    double? ScratchLearningRate = null,
    bool AuthorsDoubleForward = false)
{
    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["smoke", "quick", "paper"];

    /// <summary>Seconds per notebook; what CI runs. One tiny pretrained backbone, one run, two epochs.</summary>
    public static StudyPreset Smoke { get; } = new(
        "smoke", new StudyData(Images: 120, ImageSize: 64), Resolution: 64,
        Backbones: ["cntk_resnet18"], Variants: [StudyVariant.Main], Runs: 1,
        Epochs: 2, TeacherEpochs: 2, KdEpochs: 1, BatchSize: 16, LearningRate: 1e-4,
        Schedule: "cosine", Recipe: "heldout");

    /// <summary>
    /// The whole study on a 2-core CPU in about 20 minutes, calibrated so that its models learn:
    /// 200 phantoms at 64 px with doubled finding contrast (at 64 px a lesion is a few pixels wide);
    /// no augmentation (the paper's geometric augmentation stops a 64 px model from fitting within a
    /// few epochs); batch 16, which trains about 1.5 times more images per second than 8 on two cores,
    /// with the learning rate scaled alike (the paper's 1e-4 at batch 8 becomes 2e-4); 5 epochs,
    /// teacher 3, guidance for the first 3 (the paper's 40 of 60); the offline ImageNet-pretrained
    /// ResNet and a randomly initialised ResNet-18 (at 1e-3), three runs each; the noroi and 30 % ROI
    /// controls on the pretrained backbone only (CPU time).
    /// </summary>
    public static StudyPreset Quick { get; } = new(
        "quick", new StudyData(Images: 200, ImageSize: 64, Conspicuity: 2.0), Resolution: 64,
        Backbones: ["cntk_resnet18", "resnet18"],
        Variants: [QuickArm(StudyVariant.Main), QuickArm(StudyVariant.NoRoi) with { OnlyBackbones = ["cntk_resnet18"] },
                   QuickArm(StudyVariant.RoiBudget(0.3)) with { OnlyBackbones = ["cntk_resnet18"] }],
        Runs: 3, Epochs: 5, TeacherEpochs: 3, KdEpochs: 3, BatchSize: 16, LearningRate: 2e-4,
        Schedule: "cosine", Recipe: "heldout", ScratchLearningRate: 1e-3);

    static StudyVariant QuickArm(StudyVariant paperArm) => paperArm with { Augmentation = "none" };

    /// <summary>The published recipe (DESIGN.md §1): 224 px, five backbones, 60 epochs, five runs; needs a GPU.</summary>
    public static StudyPreset Paper { get; } = new(
        "paper", new StudyData(Images: 1082, ImageSize: 256), Resolution: 224,
        Backbones: ["resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small"],
        // As published: the noroi control on every backbone, the ROI budgets on ConvNeXt-small.
        Variants: [StudyVariant.Main, StudyVariant.NoRoi,
                   .. new[] { 0.1, 0.3, 0.5, 0.7 }.Select(f => StudyVariant.RoiBudget(f) with { OnlyBackbones = ["convnext_small"] })],
        Runs: 5, Epochs: 60, TeacherEpochs: 20, KdEpochs: 40, BatchSize: 8, LearningRate: 1e-4,
        Schedule: "paper", Recipe: "paper", RequirePretrained: true, AuthorsDoubleForward: true);

    /// <summary>Looks a preset up by name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static StudyPreset Get(string name) => name.Trim().ToLowerInvariant() switch
    {
        "smoke" => Smoke,
        "quick" => Quick,
        "paper" => Paper,
        _ => throw new ArgumentException($"preset: expected one of {string.Join(", ", Names)}, found '{name}'."),
    };
}
