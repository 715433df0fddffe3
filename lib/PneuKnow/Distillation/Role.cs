namespace PneuKnow.Distillation;

/// <summary>
/// The part a model plays in an experiment: a baseline, or a teacher and the student it teaches. Its snake_case name
/// (<see cref="Runtime.SnakeCase"/>: <c>baseline</c>, <c>teacher</c>, <c>student</c>) names the run folders
/// (<c>&lt;experiment&gt;/&lt;role&gt;/run_k</c>) and the published results' <c>role</c> column; the study, its claims and
/// the figure colours tell models apart by it. It lives with the distillation losses, whose vocabulary it is, below every
/// layer that uses it (training, evaluation, figures, study), so that none of them imports a layer beside or above it for it.
/// </summary>
public enum Role
{
    /// <summary>Trained on the full images with cross-entropy alone.</summary>
    Baseline,
    /// <summary>Trained on the ROI images (or, as a control, the full images); it teaches the student.</summary>
    Teacher,
    /// <summary>Trained on the full images, guided by its frozen teacher.</summary>
    Student,
}
