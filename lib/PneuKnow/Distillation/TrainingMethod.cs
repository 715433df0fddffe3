using PneuKnow.Augmentation;
using PneuKnow.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Distillation;

/// <summary>
/// The terms of one training batch's loss. <see cref="Total"/> is what is minimised;
/// <see cref="Classification"/> and <see cref="Consistency"/> are logged separately as the authors do.
/// </summary>
/// <param name="Total">The loss that is back-propagated (a scalar).</param>
/// <param name="Classification">Cross-entropy of the model's logits (a scalar).</param>
/// <param name="Consistency">The distillation term (feature MSE or logit KD), null for methods without one.</param>
/// <param name="Logits">N×K logits of the model on its training input, for accuracy.</param>
public sealed record LossTerms(Tensor Total, Tensor Classification, Tensor? Consistency, Tensor Logits);

/// <summary>
/// A training method is a loss over a batch; the trainer's loop (<c>PneuKnow.Training.Trainer</c>) is shared by all of them.
/// </summary>
/// <remarks>
/// The methods live in Distillation, beside the losses they combine (feature MSE, logit KD, the consistency weight), and
/// use only folders to its left (Models' backbones, Augmentation's batches); Training runs them without knowing which.
/// </remarks>
public interface ITrainingMethod
{
    /// <summary>Short name, e.g. <c>baseline</c> or <c>hkd_student</c>.</summary>
    string Name { get; }

    /// <summary>Whether the method has a distillation term (decides the log's <c>train_cons_loss</c>/<c>train_cls_loss</c> columns).</summary>
    bool HasConsistency { get; }

    /// <summary>Trainable parameters besides the model's (a feature adapter), or null.</summary>
    nn.Module<Tensor, Tensor>? Extra { get; }

    /// <summary>The weight of the distillation term in epoch <paramref name="epoch"/> (0 for methods without one).</summary>
    double ConsistencyWeightAt(int epoch);

    /// <summary>The loss of <paramref name="model"/> (in training mode) on <paramref name="batch"/> in epoch <paramref name="epoch"/>.</summary>
    LossTerms Loss(Backbone model, Batch batch, int epoch);

    /// <summary>What the model sees at validation and test time: the full image, or the ROI image for a ROI teacher.</summary>
    Tensor EvaluationInput(Batch batch);
}

/// <summary>Forward passes shared by the methods.</summary>
static class Forward
{
    /// <summary>Normalise, features, head.</summary>
    public static (Tensor Features, Tensor Logits) Run(Backbone model, Tensor rgb01)
    {
        var features = model.Features(Normalized(model, rgb01));
        return (features, model.Head(features));
    }

    /// <summary><c>Backbone.Normalize</c> computes in float32; the result goes back to the input's type (bfloat16 runs).</summary>
    public static Tensor Normalized(Backbone model, Tensor rgb01)
    {
        var x = model.Normalize(rgb01);
        return x.dtype == rgb01.dtype ? x : x.to(rgb01.dtype);
    }

    public static ScalarType TypeOf(Backbone model) => model.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;

    public static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits.to(ScalarType.Float32), labels);

    public static void Freeze(Backbone teacher)
    {
        foreach (var p in teacher.parameters()) p.requires_grad = false;
        teacher.eval();
    }

    /// <summary>
    /// The frozen teacher's feature map, and its logits when asked, for the ROI (or, as a control, the full image).
    /// eval() on every call, not only in Freeze: the same teacher object may be used elsewhere in between
    /// and left in train mode, where it would update its BatchNorm statistics and drop features.
    /// </summary>
    public static (Tensor Features, Tensor? Logits) FrozenTeacher(Backbone teacher, ScalarType teacherType, Batch batch, bool onRaw, bool withLogits)
    {
        using var _ = no_grad();
        teacher.eval();
        var input = (onRaw ? batch.Image : batch.Roi).to(teacherType);
        var features = teacher.Features(Normalized(teacher, input));
        return (features, withLogits ? teacher.Head(features) : null);
    }
}

/// <summary>The baseline: cross-entropy on the full images.</summary>
public sealed class Baseline : ITrainingMethod
{
    /// <inheritdoc />
    public string Name => "baseline";
    /// <inheritdoc />
    public bool HasConsistency => false;
    /// <inheritdoc />
    public nn.Module<Tensor, Tensor>? Extra => null;
    /// <inheritdoc />
    public double ConsistencyWeightAt(int epoch) => 0;

    /// <inheritdoc />
    public LossTerms Loss(Backbone model, Batch batch, int epoch)
    {
        var (_, logits) = Forward.Run(model, batch.Image);
        var ce = Forward.CrossEntropy(logits, batch.Label);
        return new LossTerms(ce, ce, null, logits);
    }

    /// <inheritdoc />
    public Tensor EvaluationInput(Batch batch) => batch.Image;
}

/// <summary>
/// The ROI teacher: cross-entropy on the ROI images (everything outside the expert's regions
/// suppressed), validated on the ROI images too. With <c>onRaw</c> it is the "noroi" control:
/// the same teacher recipe on the full images.
/// </summary>
/// <param name="onRaw">Train and validate on the full images instead of the ROIs (the "noroi" control).</param>
public sealed class RoiTeacher(bool onRaw = false) : ITrainingMethod
{
    /// <summary>True for the "noroi" control.</summary>
    public bool OnRaw { get; } = onRaw;
    /// <inheritdoc />
    public string Name => OnRaw ? "teacher_noroi" : "roi_teacher";
    /// <inheritdoc />
    public bool HasConsistency => false;
    /// <inheritdoc />
    public nn.Module<Tensor, Tensor>? Extra => null;
    /// <inheritdoc />
    public double ConsistencyWeightAt(int epoch) => 0;

    /// <inheritdoc />
    public LossTerms Loss(Backbone model, Batch batch, int epoch)
    {
        var (_, logits) = Forward.Run(model, EvaluationInput(batch));
        var ce = Forward.CrossEntropy(logits, batch.Label);
        return new LossTerms(ce, ce, null, logits);
    }

    /// <inheritdoc />
    public Tensor EvaluationInput(Batch batch) => OnRaw ? batch.Image : batch.Roi;
}

/// <summary>
/// What the two distilling students share: a frozen teacher fed the ROI (or, as a control, the full
/// image), a guidance weight a_e from <see cref="ConsistencyWeight"/> over the first epochs, and the
/// full image as the student's input at evaluation.
/// </summary>
public abstract class FrozenTeacherStudent : ITrainingMethod
{
    readonly Backbone teacher;
    readonly ScalarType teacherType;

    /// <summary>Freezes <paramref name="teacher"/> (no gradients, eval mode) and checks the weight schedule.</summary>
    /// <param name="teacher">The trained teacher.</param>
    /// <param name="kdEpochs">Epochs of guidance.</param>
    /// <param name="teacherOnRaw">Feed the teacher the full image instead of the ROI (a control).</param>
    /// <param name="initialWeight">a_0 (0.5 in the paper).</param>
    protected FrozenTeacherStudent(Backbone teacher, int kdEpochs, bool teacherOnRaw, double initialWeight)
    {
        if (kdEpochs < 0) throw new ArgumentOutOfRangeException(nameof(kdEpochs), kdEpochs, "kd_epochs: expected 0 or more.");
        ConsistencyWeight.At(0, kdEpochs, initialWeight);
        this.teacher = teacher;
        KdEpochs = kdEpochs;
        TeacherOnRaw = teacherOnRaw;
        InitialWeight = initialWeight;
        Forward.Freeze(teacher);
        teacherType = Forward.TypeOf(teacher);
    }

    /// <summary>Epochs of guidance.</summary>
    public int KdEpochs { get; }
    /// <summary>Whether the teacher sees the full image instead of the ROI.</summary>
    public bool TeacherOnRaw { get; }
    /// <summary>a_0.</summary>
    public double InitialWeight { get; }

    /// <inheritdoc />
    public abstract string Name { get; }
    /// <inheritdoc />
    public bool HasConsistency => true;
    /// <inheritdoc />
    public virtual nn.Module<Tensor, Tensor>? Extra => null;
    /// <inheritdoc />
    public double ConsistencyWeightAt(int epoch) => ConsistencyWeight.At(epoch, KdEpochs, InitialWeight);
    /// <inheritdoc />
    public abstract LossTerms Loss(Backbone model, Batch batch, int epoch);
    /// <inheritdoc />
    public Tensor EvaluationInput(Batch batch) => batch.Image;

    /// <summary>The frozen teacher's feature map of this batch, and its logits when asked.</summary>
    protected (Tensor Features, Tensor? Logits) Teacher(Batch batch, bool withLogits) =>
        Forward.FrozenTeacher(teacher, teacherType, batch, TeacherOnRaw, withLogits);
}

/// <summary>
/// The HKD student: <c>a_e · MSE(teacher.Features(roi), student.Features(image)) + (1 − a_e) · CE</c>
/// with the teacher frozen and in eval mode, and a_e from <see cref="ConsistencyWeight"/>.
/// </summary>
/// <param name="teacher">The trained teacher; its parameters stop requiring gradients and it is put in eval mode.</param>
/// <param name="kdEpochs">Epochs of guidance (40 in the paper).</param>
/// <param name="initialWeight">a_0 (0.5 in the paper: a config's <c>consistency_weight</c>, whose default <c>Training.StageConfig.ConsistencyWeight</c> holds; required here so that the value is written in one place).</param>
/// <param name="adapter">A <see cref="FeatureAdapter"/> for heterogeneous pairs, or null.</param>
/// <param name="normalizedFeatures">Compare unit-norm feature maps (see <see cref="DistillationLoss.Consistency"/>).</param>
/// <param name="teacherOnRaw">Feed the teacher the full image instead of the ROI (a control).</param>
/// <param name="authorsDoubleForward">Run the student twice per batch as the authors' code does (see <see cref="AuthorsDoubleForward"/>).</param>
public sealed class HkdStudent(Backbone teacher, int kdEpochs, double initialWeight, FeatureAdapter? adapter = null, bool normalizedFeatures = false,
    bool teacherOnRaw = false, bool authorsDoubleForward = false) : FrozenTeacherStudent(teacher, kdEpochs, teacherOnRaw, initialWeight)
{
    /// <summary>The adapter for heterogeneous pairs, or null.</summary>
    public FeatureAdapter? Adapter { get; } = adapter;
    /// <summary>Whether unit-norm feature maps are compared.</summary>
    public bool NormalizedFeatures { get; } = normalizedFeatures;

    /// <summary>
    /// The authors' quirk: their student step calls <c>model(images)</c> for the logits and then
    /// <c>model.forward_features(images)</c> for the feature map, two forward passes of the same batch in training
    /// mode. The loss and its gradient are those of one pass (both passes compute the same function, up to
    /// dropout and stochastic-depth draws), but every BatchNorm layer updates its running statistics twice per
    /// step, so the statistics the student is evaluated with move faster (ResNet and EfficientNet; ConvNeXt has
    /// no BatchNorm). Off by default; the paper preset turns it on.
    /// </summary>
    public bool AuthorsDoubleForward { get; } = authorsDoubleForward;

    /// <inheritdoc />
    public override string Name => "hkd_student";
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor>? Extra => Adapter;

    /// <inheritdoc />
    public override LossTerms Loss(Backbone model, Batch batch, int epoch)
    {
        double a = ConsistencyWeightAt(epoch);
        var (target, _) = Teacher(batch, withLogits: false);
        var (features, logits) = Forward.Run(model, batch.Image);
        // The first pass gives the logits (model(images)); a second gives the feature map (model.forward_features(images)).
        if (AuthorsDoubleForward) features = model.Features(Forward.Normalized(model, batch.Image));
        var mapped = Adapter is null ? features : Adapter.forward(features);
        var consistency = DistillationLoss.Consistency(target, mapped, NormalizedFeatures);
        var ce = Forward.CrossEntropy(logits, batch.Label);
        return new LossTerms(DistillationLoss.Combined(consistency, ce, a), ce, consistency, logits);
    }
}

/// <summary>
/// Hinton logit distillation as a comparison method: <c>a_e · T²·KL(teacher ‖ student) + (1 − a_e) · CE</c>,
/// with the same weight schedule as HKD so that only the kind of guidance differs. The frozen
/// teacher sees the ROI image (its training domain) and the student the full image.
/// </summary>
public sealed class LogitKdStudent : FrozenTeacherStudent
{
    /// <summary>Creates the method around a trained teacher, which it freezes.</summary>
    /// <param name="teacher">The trained teacher.</param>
    /// <param name="kdEpochs">Epochs of guidance.</param>
    /// <param name="temperature">Softening temperature T (a config's <c>kd_temperature</c>, default <c>Training.StageConfig.KdTemperature</c>).</param>
    /// <param name="initialWeight">a_0 (a config's <c>consistency_weight</c>, default <c>Training.StageConfig.ConsistencyWeight</c>).</param>
    /// <param name="teacherOnRaw">Feed the teacher the full image instead of the ROI.</param>
    public LogitKdStudent(Backbone teacher, int kdEpochs, double temperature, double initialWeight, bool teacherOnRaw = false)
        : base(teacher, kdEpochs, teacherOnRaw, initialWeight)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "kd_temperature: expected a positive number.");
        Temperature = temperature;
    }

    /// <summary>Softening temperature.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => "logit_kd_student";

    /// <inheritdoc />
    public override LossTerms Loss(Backbone model, Batch batch, int epoch)
    {
        double a = ConsistencyWeightAt(epoch);
        var (_, teacherLogits) = Teacher(batch, withLogits: true);
        var (_, logits) = Forward.Run(model, batch.Image);
        var kd = LogitDistillation.Loss(logits, teacherLogits!, Temperature);
        var ce = Forward.CrossEntropy(logits, batch.Label);
        return new LossTerms(DistillationLoss.Combined(kd, ce, a), ce, kd, logits);
    }
}
