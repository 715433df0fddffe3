using PneuKnow.Distillation;
using PneuKnow.Models;
using PneuKnow.Study;
using PneuKnow.Tests.Notebooks;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// The committed quick reference (<c>results/reference/quick</c>) stores its paths relative to each file's folder. Resolved
/// where it is committed, they name the data a fresh clone's <c>reproduce --out results/reference/quick</c> generates under
/// its default <c>--data data/generated</c>, and the trainer's reuse decision (the key, else
/// <see cref="RunIdentity.IsRelocation"/>) takes every committed run as finished there and at any other clone's place. The
/// runs asked for are rebuilt here from the quick preset as <see cref="StudyRunner"/> and <see cref="Experiment"/> build
/// them; only what needs the data or the weights (data sizes, classes, the initial weights' hash) is taken from the record.
/// </summary>
public sealed class QuickReferenceReuseTests
{
    static string Reference => Path.Combine(NotebookPaths.RepositoryRoot, "results", "reference", "quick");

    /// <summary>Where a fresh clone at <paramref name="clone"/> puts the data of the dataset folder <paramref name="dataset"/> (reproduce's default <c>--data</c>).</summary>
    static string Manifest(string clone, string dataset) => Path.Combine(clone, "data", "generated", dataset, "manifest.csv");

    [Fact]
    public void A_fresh_clone_asks_for_every_committed_unit_and_reuses_every_committed_run()
    {
        var stamp = StudyStamp.Read(Reference);
        Assert.Equal("quick", stamp.Preset);
        var preset = StudyPreset.Get(stamp.Preset);
        var units = StudyGrid.Units(preset);
        Assert.Equal(units.Select(u => u.Key).Order(StringComparer.Ordinal), stamp.Units.Order(StringComparer.Ordinal));
        int checkedRuns = 0;
        foreach (var unit in units)
        {
            var unitDir = Path.Combine(Reference, "runs", unit.Key);
            var committed = ExperimentConfig.Load(Path.Combine(unitDir, Experiment.ConfigFileName));
            var dataset = Path.GetFileName(Path.GetDirectoryName(committed.MetadataFile))!;
            var condition = StudyRunner.ConditionOf(preset, unit);
            Assert.StartsWith(FormattableString.Invariant($"phantom-{preset.Data.Images}-{preset.Data.ImageSize}px-seed{preset.Data.Seed}"), dataset, StringComparison.Ordinal);
            Assert.Contains(FormattableString.Invariant($"-shortcut{condition.ShortcutStrength:0.##}-"), dataset, StringComparison.Ordinal);
            // Resolved where it is committed: this clone's default data folder, and the reference's own runs folder.
            Assert.Equal(Manifest(NotebookPaths.RepositoryRoot, dataset), committed.MetadataFile);
            Assert.Equal(Path.Combine(Reference, "runs"), committed.ModelDir);

            // The resnet18 runs trained from random weights because no pretrained file was found (WeightStore); on a machine
            // that has one, reproduce asks for a pretrained run instead, which is another run (refused, not reused).
            if (BackboneZoo.PretrainedSource(unit.Backbone) is not null && !(committed.Model ?? committed.Student)!.Pretrained) continue;

            foreach (var clone in new[] { NotebookPaths.RepositoryRoot, "/elsewhere/fresh-clone" })
            {
                var runsRoot = Path.Combine(clone, "results", "reference", "quick", "runs");
                var asked = StudyRunner.ConfigFor(preset, unit, Manifest(clone, dataset), runsRoot);
                if (clone == NotebookPaths.RepositoryRoot)
                    Assert.Equal(asked.ToJson(relativeTo: unitDir), File.ReadAllText(Path.Combine(unitDir, Experiment.ConfigFileName)));
                var roles = unit.Kind == StudyUnitKind.Baseline ? new[] { Role.Baseline } : [Role.Teacher, Role.Student];
                foreach (var role in roles)
                {
                    var folders = StudyReport.RunFoldersOf(Experiment.RoleFolder(unitDir, role));
                    Assert.Equal(asked.RepeatedRuns, folders.Count);
                    for (int k = 0; k < folders.Count; k++)
                    {
                        var folder = new RunFolder(folders[k]);
                        var recorded = RunRecord.Read(folder);
                        var requested = Requested(asked, role, k, recorded, runsRoot);
                        // What Trainer.Train decides for a folder holding result.json: reused when the key matches or the run only
                        // moved. The recorded key hashes the paths of the clone it ran in (/tmp/quickref), so here it is the move.
                        Assert.True(folder.FinishedKey() == requested.Key || RunIdentity.IsRelocation(RunRecord.TryRead(folder), requested),
                            $"{folder.Directory} would not be reused by a clone at {clone}{RunIdentity.Differences(recorded, requested)}");
                        if (clone == NotebookPaths.RepositoryRoot)
                            Assert.Equal("", RunIdentity.Differences(recorded, requested));   // where it is committed, even the paths are the ones asked for
                        checkedRuns++;
                    }
                }
            }
        }
        // 39 runs at two places; the 9 resnet18 runs are left out only on a machine with resnet18 weights.
        Assert.True(checkedRuns >= 2 * (39 - 9), $"checked {checkedRuns} runs");
    }

    /// <summary>
    /// The run record <see cref="Experiment.Run"/> builds for run <paramref name="k"/> of <paramref name="role"/> (see its
    /// <c>RunConfigOf</c> and <see cref="RunRecord.For"/>), keyed; the data sizes, classes and the initial weights' hash,
    /// which need the data or the weights file, are the recorded ones.
    /// </summary>
    static RunRecord Requested(ExperimentConfig asked, Role role, int k, RunRecord recorded, string runsRoot)
    {
        bool teacher = role == Role.Teacher;
        var stage = role switch { Role.Baseline => asked.Model!, Role.Teacher => asked.Teacher!, _ => asked.Student! };
        long seed = teacher ? Seeds.Derive(asked.Seed, "teacher", k) : Experiment.PairSeed(asked.Seed, k);
        var options = stage.ToTrainerOptions(teacher, seed);
        var record = recorded with
        {
            Architecture = stage.Architecture, Fold = k, Epochs = options.Epochs, LearningRate = options.LearningRate, WeightDecay = options.WeightDecay,
            Schedule = options.Schedule, Checkpoint = options.Criterion, Seed = seed, Precision = options.Precision, PreciseBatchNorm = options.PreciseBatchNorm,
            Config = recorded.Config! with
            {
                ExperimentName = asked.ExperimentName, Role = role, Run = k, RunSeed = seed,
                RawDataDir = asked.RawDataDir, RoiDataDir = asked.RoiDataDir, MetadataFile = asked.MetadataFile,
                Stage = StageRecord.Of(stage, role),
                TeacherRun = role == Role.Student ? Path.Combine(runsRoot, asked.ExperimentName, "teacher", RunFolder.NameOf(k)) : null,
            },
            Key = null,
        };
        return record with { Key = record.ComputeKey() };
    }
}
