using PneuKnow.Augmentation;
using PneuKnow.Data;

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
/// <param name="OnlyConditions">Data conditions that run this arm (null: every condition of the preset).</param>
public sealed record StudyVariant(string Name, double Dropout, AugmentationKind Augmentation, double RoiFraction = 1.0,
    bool TeacherOnRaw = false, bool WithBaseline = true, IReadOnlyList<string>? OnlyBackbones = null, IReadOnlyList<string>? OnlyConditions = null)
{
    /// <summary>Whether <paramref name="backbone"/> runs this arm.</summary>
    public bool AppliesTo(string backbone) => OnlyBackbones is null || OnlyBackbones.Contains(backbone);

    /// <summary>Whether <paramref name="backbone"/> runs this arm in <paramref name="condition"/>.</summary>
    public bool AppliesTo(string backbone, StudyCondition condition) => AppliesTo(backbone) && (OnlyConditions is null || OnlyConditions.Contains(condition.Name));

    /// <summary>The paper's main arm: dropout 0.5, strong augmentation, teacher on every ROI.</summary>
    public static StudyVariant Main { get; } = new("do", 0.5, AugmentationKind.Strong);

    /// <summary>The control where the teacher learns from raw images instead of ROIs.</summary>
    public static StudyVariant NoRoi { get; } = new("noroi", 0.5, AugmentationKind.Strong, TeacherOnRaw: true, WithBaseline: false);

    /// <summary>An annotation-budget arm: the teacher sees the ROIs of a fraction of the training images.</summary>
    public static StudyVariant RoiBudget(double fraction) =>
        new($"roi{Math.Round(fraction * 100):0}", 0.5, AugmentationKind.Strong, RoiFraction: fraction, WithBaseline: false);
}

/// <summary>What data a study trains on: the phantom generator's knobs (or an existing dataset).</summary>
/// <param name="Images">Number of phantom images.</param>
/// <param name="ImageSize">Side of the generated images in pixels.</param>
/// <param name="Seed">Generator seed.</param>
/// <param name="ExistingManifest">A manifest of real data to use instead of generating (authors' layout).</param>
/// <param name="Conspicuity">The generator's finding-contrast multiplier (1 = its default look at 256 px).</param>
/// <param name="Splits">Train/valid/test fractions of the phantom (patient-level); null: the recipe's default
/// (70/15/15 held out, or the authors' 80/20 train/valid).</param>
public sealed record StudyData(int Images, int ImageSize, int Seed = 2023, string? ExistingManifest = null, double Conspicuity = 1.0,
    SplitFractions? Splits = null);

/// <summary>
/// A data condition of the study: the same phantom recipe with or without a shortcut. A phantom can do what hospital data
/// cannot: plant a confounder (ECG electrodes, leads and a side marker outside the lungs) whose presence predicts the
/// class in train and valid but not in test, and know where it is drawn.
/// </summary>
/// <param name="Name">Short name used in unit keys, folder names and tables (<c>clean</c>, <c>shortcut</c>).</param>
/// <param name="ShortcutStrength">The generator's <see cref="Data.Phantom.PhantomOptions.ShortcutStrength"/>: 0 = devices
/// independent of the class; 0.9 = in train/valid present on 95 % of COVID-19/fungal images and 5 % of the others.</param>
public sealed record StudyCondition(string Name, double ShortcutStrength)
{
    /// <summary>No shortcut: devices appear, independent of the class.</summary>
    public static StudyCondition Clean { get; } = new("clean", 0.0);

    /// <summary>A strong shortcut in train and valid (strength 0.9), none in test.</summary>
    public static StudyCondition Shortcut { get; } = new("shortcut", 0.9);
}

/// <summary>Which split selects checkpoints and which reports.</summary>
public enum StudyRecipe
{
    /// <summary>The authors' protocol: train/valid only; the validation split both selects and reports.</summary>
    Authors,
    /// <summary>Select on the validation split, report on a held-out, patient-level test split.</summary>
    HeldOut,
}

/// <summary>
/// A complete, named study recipe: the grid of data conditions × backbones × arms × repeated runs and every
/// training hyper-parameter. <see cref="Paper"/> is the published recipe (docs/study-design.md says where the
/// other presets depart from it and why).
/// </summary>
/// <param name="Name">smoke, quick, study or paper.</param>
/// <param name="Data">The data the study trains on.</param>
/// <param name="Resolution">Network input size (the paper: 224).</param>
/// <param name="Backbones">timm-style backbone names.</param>
/// <param name="Variants">Arms of the study.</param>
/// <param name="Runs">Repeated runs per cell (the primary backbones' main arm: <see cref="StudyPreset.PrimaryRuns"/> when set; see
/// <see cref="StudyPreset.RunsOf"/>); run k of a baseline and of every student form pair k (same seed).</param>
/// <param name="Epochs">Epochs for baselines and students (the teacher trains floor(TeacherEpochs / roi_fraction)).</param>
/// <param name="TeacherEpochs">The teacher's epoch budget before dividing by the ROI fraction (the paper: 20).</param>
/// <param name="KdEpochs">Epochs with a non-zero consistency weight (the paper: 40).</param>
/// <param name="BatchSize">Mini-batch size (the paper: 8).</param>
/// <param name="LearningRate">Adam learning rate (the paper: 1e-4).</param>
/// <param name="Schedule">The learning-rate schedule (the paper: cosine stepped per batch).</param>
/// <param name="Recipe">Which split selects and which reports.</param>
/// <param name="Seed">Base seed; run k of a cell derives its own.</param>
/// <param name="RequirePretrained">True: every backbone must start from ImageNet weights (missing weights are an error); false: use them where this machine has them, else random initialisation.</param>
/// <param name="ScratchLearningRate">Learning rate of backbones that start from random initialisation (null: <paramref name="LearningRate"/>).
/// Fine-tuning rates leave a network trained from scratch at the majority class for a short budget.</param>
/// <param name="PreciseBatchNorm">Every stage recomputes its BatchNorm running statistics over the training inputs after each epoch
/// (<c>precise_bn</c>; see <c>StageConfig.PreciseBatchNorm</c>). On for smoke and quick, whose few dozen steps leave the moving averages
/// behind the weights (issue 21); off for paper, which follows the authors, who do not do this.</param>
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
    Training.LearningRateScheduleKind Schedule,
    StudyRecipe Recipe,
    int Seed = 42,
    bool RequirePretrained = false,
    double? ScratchLearningRate = null,
    bool AuthorsDoubleForward = false,
    bool PreciseBatchNorm = true)
{
    /// <summary>The data conditions (each its own phantom); one condition leaves unit keys in the authors' form.</summary>
    public IReadOnlyList<StudyCondition> Conditions { get; init; } = [StudyCondition.Clean];

    /// <summary>Input pixels per feature-map cell of the ResNets (32 as published; 16 dilates their last stage).</summary>
    public int OutputStride { get; init; } = Models.Backbone.ReferenceOutputStride;

    /// <summary>
    /// The number format of every run's training (<c>reproduce --precision</c>): fp32 in every preset; bf16-mixed or fp16-mixed
    /// run the forward passes under autocast with float32 master weights (<see cref="Training.Precision"/>). Recorded in the
    /// study stamp only when it is not fp32.
    /// </summary>
    public Training.Precision Precision { get; init; } = Training.Precision.Float32;

    /// <summary>
    /// How many test images the study explains with Grad-CAM, per model and pair: the first ones of the test split in
    /// manifest order, every class included (healthy images too: most shortcut errors happen there). A count fixed before
    /// any result, sized to the preset's time budget (docs/study-design.md, claim 3).
    /// </summary>
    public int DecisionRegionImages { get; init; } = 300;

    /// <summary>Whether the preset is too small to test anything (its tables say so).</summary>
    public bool HasNoPower { get; init; }

    /// <summary>Backbone × condition cells the grid leaves out (e.g. a backbone that learns nothing in one condition within the budget).</summary>
    public IReadOnlyList<(string Backbone, string Condition)> Excluded { get; init; } = [];

    /// <summary>
    /// The backbones whose test-accuracy difference (HKD student − baseline, per condition) forms the primary family of
    /// the claims table, stated before the run (docs/study-design.md); null: every backbone. The other rows are secondary.
    /// </summary>
    public IReadOnlyList<string>? PrimaryBackbones { get; init; }

    /// <summary>Whether <paramref name="backbone"/>'s accuracy rows are primary endpoints.</summary>
    public bool IsPrimary(string backbone) => PrimaryBackbones is null || PrimaryBackbones.Contains(backbone);

    /// <summary>
    /// Repeated runs of the primary backbones' (<see cref="PrimaryBackbones"/>) main arm (<see cref="StudyVariant.Main"/>): its
    /// baseline unit and its distillation unit (ROI teacher and HKD student), whose pairs give the primary endpoints; null:
    /// <see cref="Runs"/>, like every other unit. Must be at least <see cref="Runs"/>, so that pair k &lt; <see cref="Runs"/>
    /// exists in every arm and the comparisons of a primary arm with a secondary one (noroi, ROI budgets) pair run k with run k.
    /// Pair k's seeds depend on k only, not on the count, so the first <see cref="Runs"/> pairs of a primary arm are the
    /// pairs a study without this property would have run.
    /// </summary>
    public int? PrimaryRuns { get; init; }

    /// <summary>
    /// Repeated runs of <paramref name="unit"/>: <see cref="PrimaryRuns"/> for the baseline and distillation unit of a primary
    /// backbone's main arm when it is set, else <see cref="Runs"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="PrimaryRuns"/> is below <see cref="Runs"/> (checked on every call, whatever the unit, so
    /// that such a preset fails on its first use rather than only on a primary unit).</exception>
    public int RunsOf(StudyUnit unit)
    {
        if (PrimaryRuns is { } primary && primary < Runs)
            throw new ArgumentException(
                $"preset {Name}: expected primary_runs ≥ runs ({Runs}) so that every arm has pairs 0 … {Runs - 1}, found primary_runs {primary}.");
        return PrimaryRuns is { } n && unit.Variant.Name == StudyVariant.Main.Name && IsPrimary(unit.Backbone) ? n : Runs;
    }

    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["smoke", "quick", "study", "paper"];

    /// <summary>A plumbing check of every stage in about a minute; its numbers mean nothing. One tiny pretrained backbone, one run, two epochs.</summary>
    public static StudyPreset Smoke { get; } = new(
        "smoke", new StudyData(Images: 120, ImageSize: 64), Resolution: 64,
        Backbones: ["cntk_resnet18"], Variants: [StudyVariant.Main], Runs: 1,
        Epochs: 2, TeacherEpochs: 2, KdEpochs: 1, BatchSize: 16, LearningRate: 1e-4,
        Schedule: Training.LearningRateScheduleKind.Cosine, Recipe: StudyRecipe.HeldOut)
    { HasNoPower = true, DecisionRegionImages = 40 };

    /// <summary>
    /// The default study on a 2-core CPU (docs/study-design.md): the design of <see cref="Study"/> with 3 pairs and no
    /// annotation budget (the noroi control only), sized for under 40 minutes; its intervals are wide. Two data conditions (clean; a planted
    /// shortcut), the offline ImageNet-pretrained ResNet at 2e-4 in both (the primary backbone) and a randomly
    /// initialised ResNet-18 at 1e-3 on clean data only (secondary); 156 training, 208 validation and 936 held-out test
    /// images; 112 px inputs with the ResNets' last stage dilated (output stride 16), so the consistency loss and
    /// Grad-CAM act on 7×7 maps as at 224 px; no augmentation; batch 16; 5 epochs, teacher 3, guidance for the first 3;
    /// the noroi control on the pretrained backbone in both conditions.
    /// </summary>
    public static StudyPreset Quick { get; } = StudyDesign("quick", runs: 3, budgets: []);

    /// <summary>
    /// The headline study: the same design as <see cref="Quick"/> with the annotation budgets 10, 30 and 60 % beside 100 %;
    /// the primary endpoints' arms (the pretrained ResNet's main-arm baseline and distillation units, in both conditions)
    /// run 30 pairs, every other arm (the random-init ResNet-18, noroi, the ROI budgets) 12 (docs/study-design.md, "Power",
    /// says what half-widths these counts are expected to give). Hours on a 2-core CPU; resumable and shardable.
    /// </summary>
    public static StudyPreset Study { get; } = StudyDesign("study", runs: 12, budgets: [0.1, 0.3, 0.6]) with { PrimaryRuns = 30 };

    static StudyPreset StudyDesign(string name, int runs, double[] budgets) => new(
        name, new StudyData(Images: 1300, ImageSize: 112, Conspicuity: 2.0, Splits: new SplitFractions(0.12, 0.16, 0.72)), Resolution: 112,
        Backbones: ["cntk_resnet18", "resnet18"],
        // The controls of claim 4 on the pretrained backbone, in both conditions (a teacher of raw images can learn the
        // confounder, one of ROIs cannot see it).
        Variants: [QuickArm(StudyVariant.Main),
                   QuickArm(StudyVariant.NoRoi) with { OnlyBackbones = ["cntk_resnet18"] },
                   .. budgets.Select(f => QuickArm(StudyVariant.RoiBudget(f)) with { OnlyBackbones = ["cntk_resnet18"] })],
        Runs: runs, Epochs: 5, TeacherEpochs: 3, KdEpochs: 3, BatchSize: 16, LearningRate: 2e-4,
        Schedule: Training.LearningRateScheduleKind.Cosine, Recipe: StudyRecipe.HeldOut, ScratchLearningRate: 1e-3)
    {
        Conditions = [StudyCondition.Clean, StudyCondition.Shortcut], OutputStride = 16, DecisionRegionImages = 400,
        // The random-init ResNet-18 learned nothing in the shortcut condition at this budget (0.444 test accuracy in
        // both arms of the earlier quick reference, the majority rate): a comparison there tests nothing.
        Excluded = [("resnet18", StudyCondition.Shortcut.Name)],
        // The paper's backbones are all ImageNet-pretrained; the random-init ResNet-18 is a secondary check.
        PrimaryBackbones = ["cntk_resnet18"],
    };

    static StudyVariant QuickArm(StudyVariant paperArm) => paperArm with { Augmentation = AugmentationKind.None };

    /// <summary>The published recipe: 224 px, five backbones, 60 epochs, five runs; needs a GPU.</summary>
    public static StudyPreset Paper { get; } = new(
        "paper", new StudyData(Images: 1082, ImageSize: 256), Resolution: 224,
        Backbones: ["resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small"],
        // As published: the noroi control on every backbone, the ROI budgets on ConvNeXt-small.
        Variants: [StudyVariant.Main, StudyVariant.NoRoi,
                   .. new[] { 0.1, 0.3, 0.5, 0.7 }.Select(f => StudyVariant.RoiBudget(f) with { OnlyBackbones = ["convnext_small"] })],
        Runs: 5, Epochs: 60, TeacherEpochs: 20, KdEpochs: 40, BatchSize: 8, LearningRate: 1e-4,
        Schedule: Training.LearningRateScheduleKind.Paper, Recipe: StudyRecipe.Authors, RequirePretrained: true, AuthorsDoubleForward: true,
        // The authors' recipe: BatchNorm statistics are the training-time moving averages (no precise-BN pass).
        PreciseBatchNorm: false);

    /// <summary>Looks a preset up by name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static StudyPreset Get(string name) => name.Trim().ToLowerInvariant() switch
    {
        "smoke" => Smoke,
        "quick" => Quick,
        "study" => Study,
        "paper" => Paper,
        _ => throw new ArgumentException($"preset: expected one of {string.Join(", ", Names)}, found '{name}'."),
    };
}
