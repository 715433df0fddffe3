using PneuKnow.Distillation;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>
/// Which run checkpoints (<c>best.pt</c>, <c>best_extra.pt</c>) a study keeps once their predictions and scores are written;
/// those it keeps are packed losslessly (<see cref="CheckpointFile"/>).
/// </summary>
public enum KeepCheckpoints
{
    /// <summary>
    /// Those that something reads after the study: per main arm (backbone × condition), the lowest pair whose baseline, ROI
    /// teacher and HKD student all finished, which the decision-region figures, chapter 04 and <c>pneuknow explain</c> load.
    /// </summary>
    Used,
    /// <summary>Every run's (about 45 MB each for the ResNet-18s).</summary>
    All,
    /// <summary>None: each goes once the run is scored (a teacher's once its student has finished).</summary>
    None,
}

/// <summary>
/// Removes the checkpoints a study no longer needs as it goes (<see cref="KeepCheckpoints"/>). A run's checkpoint is
/// needed until its predictions are written and, in a main arm, its decision regions scored
/// (<see cref="StudyDecisionRegions.ScoreRun"/>); a teacher's until its student has finished. Under
/// <see cref="KeepCheckpoints.Used"/> a main-arm pair is removed as soon as a lower pair is known to be complete, and
/// once every run of an arm has finished (in this process or another: the run folders say) all its pairs but the lowest
/// complete one go. Only checkpoint files are removed; what the tables read stays, so results are the same under every
/// setting.
/// </summary>
public sealed class StudyCheckpoints
{
    /// <summary>The one default of <see cref="KeepCheckpoints"/>, for the runner and the command line alike.</summary>
    public const KeepCheckpoints Default = KeepCheckpoints.Used;

    readonly KeepCheckpoints _keep;
    readonly string _runsRoot;
    readonly StudyPreset _preset;

    /// <summary>Checkpoint keeping for the study whose run folders are under <paramref name="runsRoot"/>.</summary>
    public StudyCheckpoints(KeepCheckpoints keep, string runsRoot, StudyPreset preset) => (_keep, _runsRoot, _preset) = (keep, runsRoot, preset);

    /// <summary>The checkpoint files of a run folder.</summary>
    public static IReadOnlyList<string> FilesOf(string runFolder)
    {
        var f = new RunFolder(runFolder);
        return [f.BestModel, f.BestExtra];
    }

    /// <summary>Run <paramref name="k"/> of <paramref name="role"/> in <paramref name="unit"/> has finished and is scored: removes what no longer has a use.</summary>
    public void RunFinished(StudyUnit unit, Role role, int k)
    {
        if (_keep == KeepCheckpoints.All || role == Role.Teacher) return;
        string[] done = role == Role.Student ? [Folder(unit, Role.Teacher, k), Folder(unit, Role.Student, k)] : [Folder(unit, Role.Baseline, k)];
        var kd = unit.Kind == StudyUnitKind.Distillation ? unit : DistillationUnit(unit);
        // Under Used a main-arm pair stays while it may still be the lowest complete one; anything else has no reader left.
        bool mayBeKept = _keep == KeepCheckpoints.Used && unit.Variant.Name == StudyVariant.Main.Name && kd is not null && LowestCompletePair(kd, below: k) is null;
        if (mayBeKept) return;
        foreach (var run in done) Remove(run);
        if (role == Role.Student && BaselineUnit(unit) is { } b) Remove(Folder(b, Role.Baseline, k));
    }

    /// <summary>
    /// Under <see cref="KeepCheckpoints.Used"/>: in every main arm of the study whose runs have all finished (here or in
    /// another process), removes the checkpoints of every pair but the lowest complete one; under every setting, packs the
    /// checkpoints that training no longer reads. Call it after the units have run.
    /// </summary>
    public void Prune()
    {
        if (_keep == KeepCheckpoints.Used) RemoveUnkept();
        PackFinished();
    }

    /// <summary>
    /// Packs (<see cref="CheckpointFile.Pack"/>, lossless, about a sixth smaller) every checkpoint that training will not read
    /// again: a finished baseline's or student's, and a finished teacher's once its student has finished. What reads it
    /// later (the decision-region figures, chapter 04, <c>pneuknow explain</c>) loads the same weights.
    /// </summary>
    void PackFinished()
    {
        foreach (var unit in StudyGrid.Units(_preset))
        {
            var roles = unit.Kind == StudyUnitKind.Distillation ? new[] { Role.Teacher, Role.Student } : [Role.Baseline];
            for (int k = 0; k < _preset.RunsOf(unit); k++)
                foreach (var role in roles)
                {
                    var folder = Folder(unit, role, k);
                    if (!File.Exists(new RunFolder(folder).Result)) continue;
                    if (role == Role.Teacher && !File.Exists(new RunFolder(Folder(unit, Role.Student, k)).Result)) continue;
                    foreach (var file in FilesOf(folder).Where(File.Exists))
                        CheckpointFile.Pack(file);
                }
        }
    }

    void RemoveUnkept()
    {
        var kd = StudyGrid.Units(_preset).Where(u => u.Kind == StudyUnitKind.Distillation && u.Variant.Name == StudyVariant.Main.Name);
        foreach (var unit in kd)
        {
            var baseline = BaselineUnit(unit);
            int runs = _preset.RunsOf(unit);
            var folders = Enumerable.Range(0, runs).SelectMany(k => new[] { Folder(unit, Role.Teacher, k), Folder(unit, Role.Student, k) }
                .Concat(baseline is null ? [] : [Folder(baseline, Role.Baseline, k)])).ToList();
            if (!folders.All(f => File.Exists(new RunFolder(f).Result))) continue;
            var kept = LowestCompletePair(unit, below: runs);
            for (int k = 0; k < runs; k++)
                if (k != kept)
                {
                    Remove(Folder(unit, Role.Teacher, k));
                    Remove(Folder(unit, Role.Student, k));
                    if (baseline is not null) Remove(Folder(baseline, Role.Baseline, k));
                }
        }
    }

    /// <summary>The lowest pair below <paramref name="below"/> whose baseline, teacher and student all still have their <c>best.pt</c>; null when none.</summary>
    int? LowestCompletePair(StudyUnit kd, int below)
    {
        var baseline = BaselineUnit(kd);
        for (int k = 0; k < below; k++)
            if (File.Exists(new RunFolder(Folder(kd, Role.Teacher, k)).BestModel) && File.Exists(new RunFolder(Folder(kd, Role.Student, k)).BestModel)
                && (baseline is null || File.Exists(new RunFolder(Folder(baseline, Role.Baseline, k)).BestModel)))
                return k;
        return null;
    }

    /// <summary>The distillation unit of a baseline unit's arm, if the grid has one.</summary>
    StudyUnit? DistillationUnit(StudyUnit baseline)
    {
        var kd = baseline with { Kind = StudyUnitKind.Distillation };
        return StudyGrid.Units(_preset).FirstOrDefault(u => u.Key == kd.Key);
    }

    /// <summary>The baseline unit of a distillation unit's arm (same backbone, arm and condition), if the grid has one.</summary>
    StudyUnit? BaselineUnit(StudyUnit kd)
    {
        var b = kd with { Kind = StudyUnitKind.Baseline };
        return StudyGrid.Units(_preset).FirstOrDefault(u => u.Key == b.Key);
    }

    string Folder(StudyUnit unit, Role role, int k) => Experiment.RunFolderOf(Path.Combine(_runsRoot, unit.Key), role, k);

    static void Remove(string runFolder)
    {
        // Only a finished run's: an unfinished one resumes from its checkpoint folder, and best.pt is what it selected so far.
        if (!File.Exists(new RunFolder(runFolder).Result)) return;
        foreach (var file in FilesOf(runFolder))
            File.Delete(file);
    }
}
