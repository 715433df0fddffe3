namespace PneuKnow.Distillation;

/// <summary>
/// What a teacher sees (a config's <c>[teacher] teacher_input</c>), in training and when it teaches. Named in snake_case
/// through <see cref="Runtime.SnakeCase"/>: <c>roi</c>, <c>raw</c>.
/// </summary>
public enum TeacherInput
{
    /// <summary>The ROI images: everything outside the expert's regions suppressed (the paper).</summary>
    Roi,
    /// <summary>The full images: the "noroi" control, a teacher without the annotation.</summary>
    Raw,
}
