using PneuKnow.Data.Phantom;
using PneuKnow.Study;

namespace PneuKnow.Tests.Study;

/// <summary>
/// Teacher rows of a preset's design without training it: one row per run of every distillation unit
/// (<see cref="StudyGrid.Units"/>, <see cref="StudyPreset.RunsOf"/>), in the order <see cref="StudyTeachers.Evaluate(StudyEvaluation)"/>
/// writes them, with plausible recalls from a fixed seed and the gate applied as <see cref="StudyTeachers"/> applies it
/// (one run in seven collapses on healthy images, about one in eight falls below its baseline). For the teachers' figure's size
/// (<see cref="StudySizeProjection"/>) and its tests.
/// </summary>
internal static class SyntheticTeachers
{
    /// <summary>The rows of <paramref name="preset"/>: every run of each distillation unit, or <paramref name="runsPerArm"/> runs of each where given.</summary>
    public static IReadOnlyList<TeacherRow> Of(StudyPreset preset, int? runsPerArm = null) =>
        Of(StudyGrid.Units(preset).Where(u => u.Kind == StudyUnitKind.Distillation).Select(u => (u, runsPerArm ?? preset.RunsOf(u))).ToList());

    /// <summary>The rows of the given units, <c>Runs</c> runs each.</summary>
    public static IReadOnlyList<TeacherRow> Of(IReadOnlyList<(StudyUnit Unit, int Runs)> units)
    {
        var rows = new List<TeacherRow>();
        for (int u = 0; u < units.Count; u++)
        {
            var (unit, runs) = units[u];
            for (int k = 0; k < runs; k++)
            {
                var random = new Random(1000 * u + k);
                bool collapsed = (u + k) % 7 == 3;
                // A run's classes share its level of skill; a collapsed run answers a disease for many healthy images.
                double level = 0.7 + 0.2 * random.NextDouble();
                var recall = PhantomFindings.KnownLabels.ToDictionary(c => c, c => c == PhantomFindings.Healthy
                    ? (collapsed ? 0.55 + 0.3 * random.NextDouble() : 0.93 + 0.07 * random.NextDouble())
                    : Math.Clamp(level + 0.3 * (random.NextDouble() - 0.5), 0, 1));
                double accuracy = recall.Values.Average(), baseline = accuracy - 0.07 + 0.08 * random.NextDouble();
                var reasons = new List<string>();
                if (recall[PhantomFindings.Healthy] < StudyTeachers.HealthyRecallGate) reasons.Add("healthy_recall");
                if (accuracy < baseline) reasons.Add("below_baseline");
                rows.Add(new TeacherRow(unit.ConditionName, unit.Backbone, unit.Variant.Name, k, 937, accuracy, recall[PhantomFindings.Healthy], recall,
                    baseline, baseline + 0.01, string.Join(';', reasons)));
            }
        }
        return rows;
    }

    /// <summary>The teacher variants of <paramref name="preset"/>, which name its arms.</summary>
    public static IReadOnlyList<StudyVariant> Variants(StudyPreset preset) =>
        StudyGrid.Units(preset).Where(u => u.Kind == StudyUnitKind.Distillation).Select(u => u.Variant).DistinctBy(v => v.Name).ToList();
}
