namespace PneuKnow.Tests.Training;

/// <summary>
/// Tests that train draw dropout masks from torch's process-wide generator; they run alone so that
/// no other test touches that generator between a seed and the draws that must repeat exactly.
/// The collection shares one finished tiny study (<see cref="Study.TinyStudyRun"/>, run on first use).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchTrainingCollection : ICollectionFixture<Study.TinyStudyRun>
{
    public const string Name = "torch training (sequential)";
}
