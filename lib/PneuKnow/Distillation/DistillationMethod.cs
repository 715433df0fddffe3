namespace PneuKnow.Distillation;

/// <summary>
/// How a student learns from its frozen teacher (a config's <c>[student] method</c>). Config files and records name it in
/// snake_case through <see cref="Runtime.SnakeCase"/>: <c>hkd</c>, <c>logit_kd</c>.
/// </summary>
public enum DistillationMethod
{
    /// <summary>Human knowledge distillation, the paper's method: a consistency loss between feature maps (<see cref="DistillationLoss.Consistency"/>).</summary>
    Hkd,
    /// <summary>Hinton's logit distillation, a comparison method (<see cref="LogitDistillation"/>).</summary>
    LogitKd,
}
