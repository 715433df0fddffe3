using PneuKnow.Runtime;
using PneuKnow.Study;

namespace PneuKnow.Tests.Study;

/// <summary>The study's design at seconds' size, for tests that run a whole study.</summary>
static class TinyStudy
{
    /// <summary>
    /// Two conditions (the shortcut one has confounder masks), two pairs, the dilated last stage, 80 phantoms at 64 px. The
    /// scored image count stays the smoke preset's: the report rebuilds the preset from study.json, which names the preset
    /// but not that count, so a different one here would make the runner and the report score different image sets.
    /// </summary>
    public static readonly StudyPreset Preset = StudyPreset.Smoke with
    {
        Data = new StudyData(Images: 80, ImageSize: 64, Splits: new PneuKnow.Data.SplitFractions(0.5, 0.2, 0.3)), Epochs = 2, TeacherEpochs = 1, KdEpochs = 1,
        BatchSize = 8, Runs = 2, Conditions = [StudyCondition.Clean, StudyCondition.Shortcut], OutputStride = 16,
    };
}

/// <summary>
/// One finished <see cref="TinyStudy.Preset"/> study with its tables and claims (<c>study/</c>) and its data (<c>data/</c>),
/// shared by the tests of the sequential torch collection that read a finished study, and run on first use only (a minute
/// or two on 2 cores), so that a filtered test run that needs none does not pay for it. Tests must not change it.
/// </summary>
public sealed class TinyStudyRun : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("tiny-study-");
    readonly Lazy<string> _ran;

    /// <summary>Creates the (not yet run) fixture.</summary>
    public TinyStudyRun() => _ran = new Lazy<string>(() =>
    {
        TorchRuntime.Initialize("cpu");
        var study = Path.Combine(_root.FullName, "study");
        StudyRunner.Run(TinyStudy.Preset, new StudyOptions(study, Path.Combine(_root.FullName, "data")));
        StudyReport.WriteClaims(StudyReport.Evaluate(study));
        return _root.FullName;
    });

    /// <summary>The folder holding <c>study/</c> and <c>data/</c>; runs the study on first use.</summary>
    public string Root => _ran.Value;

    /// <summary>The finished study folder.</summary>
    public string Study => Path.Combine(Root, "study");

    /// <inheritdoc />
    public void Dispose() => _root.Delete(true);
}
