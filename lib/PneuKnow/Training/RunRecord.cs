using PneuKnow.Data;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using PneuKnow.Augmentation;
using PneuKnow.Distillation;
using PneuKnow.Runtime;

namespace PneuKnow.Training;

/// <summary>
/// What a run folder's <c>run.json</c> holds: the run's identity (the trainer's options, the method, the data sizes and
/// classes, and the experiment's description of the run in <see cref="Config"/>) and the key derived from it. The one
/// owner of that file: it is built here (<see cref="For"/>), written here (<see cref="Write"/>) and read here
/// (<see cref="Read"/>, <see cref="TryRead"/>), with the one set of serializer options of the run folder.
/// <para>
/// In memory every path is absolute. In the file the data paths and the teacher run are stored relative to the run folder
/// (<see cref="RecordedPath"/>), so a study moved with its data keeps working and no machine's folder names are committed;
/// files written before that hold absolute paths, which are read as they are.
/// </para>
/// <para>
/// <see cref="Key"/> hashes the record with absolute paths, exactly as the earlier hand-built <c>run.json</c> did, so
/// every finished run of earlier code keeps its key (<see cref="ComputeKey"/>).
/// </para>
/// </summary>
public sealed record RunRecord
{
    /// <summary>Training method (<c>baseline</c>, <c>roi_teacher</c>, <c>hkd_student</c>…; <see cref="ITrainingMethod.Name"/>).</summary>
    public required string Method { get; init; }
    /// <summary>Backbone name (zoo key).</summary>
    public required string Architecture { get; init; }
    /// <summary>Repeated-run number k (the log's <c>fold{k}_…</c> columns).</summary>
    public required int Fold { get; init; }
    /// <summary>Epochs trained.</summary>
    public required int Epochs { get; init; }
    /// <summary>Adam's learning rate.</summary>
    public required double LearningRate { get; init; }
    /// <summary>Adam's weight decay.</summary>
    public required double WeightDecay { get; init; }
    /// <summary>Learning-rate schedule.</summary>
    public required LearningRateScheduleKind Schedule { get; init; }
    /// <summary>Checkpoint selection (<c>val_loss</c> or <c>val_acc</c>).</summary>
    public required CheckpointCriterion Checkpoint { get; init; }
    /// <summary>The run's seed.</summary>
    public required long Seed { get; init; }
    /// <summary>Number format of training (<c>fp32</c>, <c>bf16-mixed</c> or <c>fp16-mixed</c>).</summary>
    public required Precision Precision { get; init; }
    /// <summary>Training examples per epoch.</summary>
    public required int TrainExamples { get; init; }
    /// <summary>Training batches per epoch.</summary>
    public required int TrainBatchesPerEpoch { get; init; }
    /// <summary>Validation examples.</summary>
    public required int ValidExamples { get; init; }
    /// <summary>Test examples; null (written as <c>null</c>) when the run had no test split.</summary>
    public required int? TestExamples { get; init; }
    /// <summary>Class labels in code order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>
    /// The experiment's description of the run; null for a run trained without one (a bench run, a test), written as
    /// <c>{}</c> as earlier code did, so that such runs keep their keys.
    /// </summary>
    [JsonConverter(typeof(EmptyObjectAsNull))]
    public required RunConfig? Config { get; init; }
    /// <summary>Whether BatchNorm statistics were recomputed after every epoch; written only when on, so that runs of
    /// earlier code (which had no such pass) keep their keys.</summary>
    [JsonPropertyName("precise_bn")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool PreciseBatchNorm { get; init; }
    /// <summary>The run key (<see cref="ComputeKey"/>) as recorded; null in a record not yet keyed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>The record of <paramref name="run"/>, keyed.</summary>
    public static RunRecord For(TrainingRun run)
    {
        var o = run.Options;
        var record = new RunRecord
        {
            Method = run.Method.Name,
            Architecture = run.Model.Architecture,
            Fold = run.Fold,
            Epochs = o.Epochs,
            LearningRate = o.LearningRate,
            WeightDecay = o.WeightDecay,
            Schedule = o.Schedule,
            Checkpoint = o.Criterion,
            Seed = o.Seed,
            Precision = o.Precision,
            TrainExamples = run.Data.Train.Count,
            TrainBatchesPerEpoch = run.Data.Train.BatchesPerEpoch,
            ValidExamples = run.Data.Valid.Source.Count,
            TestExamples = run.Data.Test?.Source.Count,
            Classes = run.Data.Classes.ToArray(),
            Config = run.Config?.Absolute(),
            PreciseBatchNorm = o.PreciseBatchNorm,
        };
        return record with { Key = record.ComputeKey() };
    }

    /// <summary>
    /// The run key: the first 16 hex digits of the SHA-256 of the record without its key, serialised indented with absolute
    /// paths. This is byte for byte the text the earlier hand-built <c>run.json</c> hashed (same property order, same
    /// omissions, same number and string encoding), so a record read back from a finished run of earlier code gives the
    /// key that run recorded; a test checks it on every committed run of <c>results/reference/quick</c>. It hashes absolute
    /// paths because those keys already exist; a run moved elsewhere is recognised by <see cref="RunIdentity.IsRelocation"/>.
    /// </summary>
    public string ComputeKey()
    {
        var json = JsonSerializer.Serialize(this with { Key = null }, RunFolder.Json);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16].ToLowerInvariant();
    }

    /// <summary>The record as a JSON tree (its file form with absolute paths), for comparing settings by their names in the file.</summary>
    internal JsonNode ToNode() => JsonSerializer.SerializeToNode(this, RunFolder.Json)!;

    /// <summary>Writes <c>run.json</c> into <paramref name="folder"/> atomically, paths relative to the folder.</summary>
    public void Write(RunFolder folder) =>
        AtomicFile.WriteAllText(folder.Config, JsonSerializer.Serialize(this with { Config = Config?.StoredIn(folder.Directory) }, RunFolder.Json));

    /// <summary>Reads <paramref name="folder"/>'s <c>run.json</c>, its paths resolved against the folder (absolute ones, from earlier code, as they are).</summary>
    /// <exception cref="InvalidDataException">No <c>run.json</c>, not valid JSON, or a setting missing (the message names the file and the setting).</exception>
    public static RunRecord Read(RunFolder folder)
    {
        if (!RunFile.Exists(folder.Config))
            throw new InvalidDataException($"{folder.Directory}: expected run.json (a run folder like <results>/runs/<unit>/<role>/run_<k>), found no file.");
        RunRecord? record;
        try { record = JsonSerializer.Deserialize<RunRecord>(RunFile.ReadAllText(folder.Config), RunFolder.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{folder.Config}: not a readable run record ({e.Message}).", e); }
        if (record is null) throw new InvalidDataException($"{folder.Config}: expected a run record, found null.");
        if (record.Classes.Count == 0) throw new InvalidDataException($"{folder.Config}: key 'classes': expected at least one class, found an empty list.");
        return record with { Config = record.Config?.ResolvedIn(folder.Directory) };
    }

    /// <summary>As <see cref="Read"/>, or null when the file is missing or unreadable (a caller that only compares identities).</summary>
    public static RunRecord? TryRead(RunFolder folder)
    {
        try { return Read(folder); }
        catch (InvalidDataException) { return null; }
    }

    /// <summary>Reads a missing or empty <c>config</c> as null and writes null as <c>{}</c>, the form earlier code wrote.</summary>
    sealed class EmptyObjectAsNull : JsonConverter<RunConfig?>
    {
        public override bool HandleNull => true;

        public override RunConfig? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            var e = doc.RootElement;
            if (e.ValueKind == JsonValueKind.Null || (e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any())) return null;
            return e.Deserialize<RunConfig>(options);
        }

        public override void Write(Utf8JsonWriter writer, RunConfig? value, JsonSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else JsonSerializer.Serialize(writer, value, options);
        }
    }
}

/// <summary>
/// The experiment's description of one run (<c>config</c> in <c>run.json</c>): which experiment, role and run, the data it
/// trained on, the stage's settings, the initial weights and, for a student, its teacher's run folder.
/// </summary>
public sealed record RunConfig
{
    /// <summary>The experiment (<c>experiment_name</c>).</summary>
    public required string ExperimentName { get; init; }
    /// <summary>The stage's role, written as its config section (<see cref="Roles.Section"/>): <c>model</c> (a baseline), <c>teacher</c> or <c>student</c>.</summary>
    [JsonConverter(typeof(Roles.SectionConverter))]
    public required Role Role { get; init; }
    /// <summary>Repeated-run number k.</summary>
    public required int Run { get; init; }
    /// <summary>The seed run k drew.</summary>
    public required long RunSeed { get; init; }
    /// <summary>Full-image folder (a path: relative to the run folder in the file).</summary>
    public required string RawDataDir { get; init; }
    /// <summary>ROI-image folder (a path).</summary>
    public required string RoiDataDir { get; init; }
    /// <summary>The manifest (a path).</summary>
    public required string MetadataFile { get; init; }
    /// <summary>The stage's settings, with the initialisation actually used.</summary>
    public required StageRecord Stage { get; init; }
    /// <summary>The weights the backbone started from (<c>pretrained:&lt;sha256&gt;</c> or <c>random:&lt;seed&gt;</c>; see <see cref="Models.BackboneInitialisation"/>).</summary>
    public required string Initialisation { get; init; }
    /// <summary>A student's teacher run folder (a path); absent for other roles.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TeacherRun { get; init; }

    /// <summary>The same with every path made absolute (against the working folder).</summary>
    internal RunConfig Absolute() => MapPaths(Path.GetFullPath);

    /// <summary>The file form: paths relative to <paramref name="folder"/>.</summary>
    internal RunConfig StoredIn(string folder) => MapPaths(p => RecordedPath.Store(p, folder));

    /// <summary>The memory form of a record read from <paramref name="folder"/>: paths resolved against it.</summary>
    internal RunConfig ResolvedIn(string folder) => MapPaths(p => RecordedPath.Resolve(p, folder));

    RunConfig MapPaths(Func<string, string> map) => this with
    {
        RawDataDir = map(RawDataDir),
        RoiDataDir = map(RoiDataDir),
        MetadataFile = map(MetadataFile),
        TeacherRun = TeacherRun is null ? null : map(TeacherRun),
    };
}

/// <summary>
/// One training stage as <c>run.json</c> (<c>config.stage</c>) and <c>config.json</c> (<c>model</c>, <c>teacher</c>,
/// <c>student</c>) write it: the authors' keys, then ours; role-specific keys only for their role (null here).
/// </summary>
public sealed record StageRecord
{
    /// <summary><c>resolution</c>.</summary>
    public required int Resolution { get; init; }
    /// <summary><c>model_architecture</c>.</summary>
    [JsonPropertyName("model_architecture")]
    public required string Architecture { get; init; }
    /// <summary><c>dropout_percent</c> (a fraction).</summary>
    [JsonPropertyName("dropout_percent")]
    public required double Dropout { get; init; }
    /// <summary><c>epochs</c> as configured (a teacher trains floor(epochs / roi_percent)).</summary>
    public required int Epochs { get; init; }
    /// <summary><c>augmentations</c>.</summary>
    public required AugmentationKind Augmentations { get; init; }
    /// <summary><c>batch_size</c>.</summary>
    public required int BatchSize { get; init; }
    /// <summary><c>kd_epochs</c>: students only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? KdEpochs { get; init; }
    /// <summary><c>roi_percent</c>: teachers only.</summary>
    [JsonPropertyName("roi_percent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RoiFraction { get; init; }
    /// <summary><c>learning_rate</c>.</summary>
    public required double LearningRate { get; init; }
    /// <summary><c>weight_decay</c>.</summary>
    public required double WeightDecay { get; init; }
    /// <summary><c>schedule</c>.</summary>
    public required LearningRateScheduleKind Schedule { get; init; }
    /// <summary><c>checkpoint</c>.</summary>
    public required CheckpointCriterion Checkpoint { get; init; }
    /// <summary><c>precision</c>.</summary>
    public required Precision Precision { get; init; }
    /// <summary><c>pretrained</c>: in <c>run.json</c> the value actually used, after every override.</summary>
    public required bool Pretrained { get; init; }
    /// <summary><c>output_stride</c>.</summary>
    public required int OutputStride { get; init; }
    /// <summary><c>precise_bn</c>, written only when on: configs and keys of earlier code, which had no such pass, stay as they were.</summary>
    [JsonPropertyName("precise_bn")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool PreciseBatchNorm { get; init; }
    /// <summary><c>method</c>: students only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DistillationMethod? Method { get; init; }
    /// <summary><c>kd_temperature</c>: students only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? KdTemperature { get; init; }
    /// <summary><c>consistency_weight</c>: students only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ConsistencyWeight { get; init; }
    /// <summary><c>normalized_features</c>: students only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? NormalizedFeatures { get; init; }
    /// <summary><c>authors_double_forward</c>: HKD students only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AuthorsDoubleForward { get; init; }
    /// <summary><c>teacher_input</c>: teachers only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TeacherInput? TeacherInput { get; init; }
    /// <summary><c>roi_sample_seed</c>: teachers only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RoiSampleSeed { get; init; }

    /// <summary>Stage <paramref name="s"/> in the role <paramref name="role"/>.</summary>
    public static StageRecord Of(StageConfig s, Role role)
    {
        bool student = role == Role.Student, teacher = role == Role.Teacher;
        return new StageRecord
        {
            Resolution = s.Resolution,
            Architecture = s.Architecture,
            Dropout = s.Dropout,
            Epochs = s.Epochs,
            Augmentations = s.Augmentations,
            BatchSize = s.BatchSize,
            // A student built in code without kd_epochs trains with 0 epochs of guidance: record what it trains with.
            KdEpochs = student ? s.KdEpochs ?? 0 : null,
            RoiFraction = teacher ? s.RoiFraction : null,
            LearningRate = s.LearningRate,
            WeightDecay = s.WeightDecay,
            Schedule = s.Schedule,
            Checkpoint = s.Checkpoint,
            Precision = s.Precision,
            Pretrained = s.Pretrained,
            OutputStride = s.OutputStride,
            PreciseBatchNorm = s.PreciseBatchNorm,
            Method = student ? s.Method : null,
            KdTemperature = student ? s.KdTemperature : null,
            ConsistencyWeight = student ? s.ConsistencyWeight : null,
            NormalizedFeatures = student ? s.NormalizedFeatures : null,
            AuthorsDoubleForward = student && s.Method == DistillationMethod.Hkd ? s.AuthorsDoubleForward : null,
            TeacherInput = teacher ? s.TeacherInput : null,
            RoiSampleSeed = teacher ? s.RoiSampleSeed : null,
        };
    }
}

/// <summary>
/// What an experiment's <c>config.json</c> (<see cref="Experiment.ConfigFileName"/>) holds: the resolved config in the JSON
/// form that <see cref="ExperimentConfig.Load"/> reads back, every option spelled out, its paths relative to the
/// experiment's folder (resolved against it on reading, as for any config file).
/// </summary>
sealed record ExperimentRecord
{
    public required SettingsRecord Settings { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StageRecord? Model { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StageRecord? Teacher { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StageRecord? Student { get; init; }

    /// <summary>The <c>settings</c> section.</summary>
    internal sealed record SettingsRecord(
        string ExperimentName, string RawDataDir, string RoiDataDir, string MetadataFile, string ModelDir,
        int Cuda, int RepeatedRuns, long Seed, string TestSplit, string ValidSplit);

    /// <summary><paramref name="c"/> with its paths through <paramref name="path"/> (as they are, or relative to a folder).</summary>
    public static ExperimentRecord Of(ExperimentConfig c, Func<string, string> path) => new()
    {
        Settings = new SettingsRecord(c.ExperimentName, path(c.RawDataDir), path(c.RoiDataDir), path(c.MetadataFile), path(c.ModelDir),
            c.Cuda, c.RepeatedRuns, c.Seed, c.TestSplit, c.ValidSplit),
        Model = c.Model is null ? null : StageRecord.Of(c.Model, Role.Baseline),
        Teacher = c.Teacher is null ? null : StageRecord.Of(c.Teacher, Role.Teacher),
        Student = c.Student is null ? null : StageRecord.Of(c.Student, Role.Student),
    };

    public string ToJson() => JsonSerializer.Serialize(this, RunFolder.Json);
}

/// <summary>
/// How <c>run.json</c> and <c>config.json</c> store a path: relative to the folder of the file that holds it, with forward
/// slashes, so that a results tree moved (or committed and cloned) together with its data still names the right files and
/// names no machine's folders. Reading resolves such a path against that folder; an absolute path (files of earlier code)
/// is kept as it is.
/// </summary>
public static class RecordedPath
{
    /// <summary><paramref name="path"/> as stored in a file in <paramref name="folder"/>: relative, or absolute only where no relative path exists (another drive).</summary>
    public static string Store(string path, string folder)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Path.GetFullPath(folder), full);
        return Path.IsPathRooted(relative) ? full : relative.Replace('\\', '/');
    }

    /// <summary>A stored path read from a file in <paramref name="folder"/>: relative ones resolved against it, absolute ones unchanged
    /// (unchanged, not normalised, so that a record of earlier code hashes to the key it recorded).</summary>
    public static string Resolve(string stored, string folder) =>
        Path.IsPathRooted(stored) ? stored : Path.GetFullPath(Path.Combine(folder, stored));
}
