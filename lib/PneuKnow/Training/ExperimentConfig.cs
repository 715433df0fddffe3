using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PneuKnow.Augmentation;
using PneuKnow.Data;
using PneuKnow.Distillation;
using PneuKnow.Models;
using PneuKnow.Runtime;

namespace PneuKnow.Training;

/// <summary>What an experiment trains.</summary>
public enum ExperimentKind
{
    /// <summary>A <c>[model]</c> section: one baseline per repeated run.</summary>
    Baseline,
    /// <summary><c>[teacher]</c> and <c>[student]</c> sections: a ROI teacher, then a distilled student, per repeated run.</summary>
    Distillation,
}

/// <summary>
/// One training stage (<c>[model]</c>, <c>[teacher]</c> or <c>[student]</c>). The first keys are the
/// authors' and required (but <c>kd_epochs</c>, <c>roi_percent</c>); the rest are our extra options (JSON form only), whose
/// defaults are the paper's recipe. Those defaults are written once, in the initialisers below: the config parser builds
/// the stage from the required keys and falls back to that instance for every key a file leaves out, and code that builds
/// a stage (the study) gets the same values by leaving them out.
/// </summary>
/// <param name="Resolution">Input size in pixels (<c>resolution</c>).</param>
/// <param name="Architecture">timm architecture name (<c>model_architecture</c>), e.g. <c>convnext_small</c>.</param>
/// <param name="Dropout">Head dropout probability (<c>dropout_percent</c>, a fraction despite the name).</param>
/// <param name="Epochs">Epochs (<c>epochs</c>); a teacher trains floor(epochs / roi_percent).</param>
/// <param name="Augmentations">Training augmentation pipeline (<c>augmentations</c>): weak, strong or none (<see cref="StageConfig.TrainingAugmentations"/>).</param>
/// <param name="BatchSize">Batch size (<c>batch_size</c>).</param>
/// <param name="KdEpochs">Epochs of teacher guidance (<c>kd_epochs</c>, student only).</param>
/// <param name="RoiFraction">Fraction of the training images the teacher sees (<c>roi_percent</c>, teacher only).</param>
public sealed record StageConfig(
    int Resolution, string Architecture, double Dropout, int Epochs, AugmentationKind Augmentations, int BatchSize,
    int? KdEpochs = null, double RoiFraction = 1.0)
{
    /// <summary>Adam learning rate (<c>learning_rate</c>, 1e-4).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Adam weight decay (<c>weight_decay</c>, 0).</summary>
    public double WeightDecay { get; init; }
    /// <summary>Learning-rate schedule (<c>schedule</c>: paper, cosine or constant).</summary>
    public LearningRateScheduleKind Schedule { get; init; } = LearningRateScheduleKind.Paper;
    /// <summary>Checkpoint selection (<c>checkpoint</c>: val_loss or val_acc).</summary>
    public CheckpointCriterion Checkpoint { get; init; } = CheckpointCriterion.ValidationLoss;
    /// <summary>Number format of training (<c>precision</c>: fp32, bf16-mixed or fp16-mixed; weights stay float32 in all).</summary>
    public Precision Precision { get; init; } = Precision.Float32;
    /// <summary>Start from ImageNet weights (<c>pretrained</c>, true).</summary>
    public bool Pretrained { get; init; } = true;
    /// <summary>Student only (<c>method</c>): hkd (feature consistency, the paper) or logit_kd (Hinton).</summary>
    public DistillationMethod Method { get; init; } = DistillationMethod.Hkd;
    /// <summary>Temperature of logit KD (<c>kd_temperature</c>, 4).</summary>
    public double KdTemperature { get; init; } = 4.0;
    /// <summary>a_0 of the consistency weight (<c>consistency_weight</c>, 0.5).</summary>
    public double ConsistencyWeight { get; init; } = 0.5;
    /// <summary>Compare unit-norm feature maps (<c>normalized_features</c>, false).</summary>
    public bool NormalizedFeatures { get; init; }
    /// <summary>
    /// Teacher only (<c>teacher_input</c>): roi (the paper) or raw (the "noroi" control; the authors
    /// express it by pointing roi_data_dir at the raw images, which works unchanged too).
    /// </summary>
    public TeacherInput TeacherInput { get; init; } = TeacherInput.Roi;
    /// <summary>Seed of the teacher's roi_percent sample (<c>roi_sample_seed</c>, 42 as in the authors' code, the same for every run; drawn as their pandas <c>sample(frac, random_state)</c>, see <see cref="Experiment.Sample"/>).</summary>
    public int RoiSampleSeed { get; init; } = 42;
    /// <summary>
    /// Input pixels per feature-map cell (<c>output_stride</c>, 32 as the reference networks; 16 dilates the last stage of a
    /// ResNet instead of striding it, so a 112 px input keeps the 7×7 map that the consistency loss and Grad-CAM act on at 224 px).
    /// </summary>
    public int OutputStride { get; init; } = Backbone.ReferenceOutputStride;
    /// <summary>
    /// HKD student only (<c>authors_double_forward</c>, false): reproduce the authors' two forward passes per step,
    /// which update BatchNorm running statistics twice (see <see cref="HkdStudent.AuthorsDoubleForward"/>). A quirk of
    /// their code, not of the method; the paper preset turns it on.
    /// </summary>
    public bool AuthorsDoubleForward { get; init; }
    /// <summary>
    /// Recompute BatchNorm running statistics over the training inputs after every epoch (<c>precise_bn</c>, false: the
    /// authors do not; see <see cref="TrainerOptions.PreciseBatchNorm"/>). A departure from the paper's recipe that the
    /// study presets quick and smoke turn on: after a few dozen steps the moving averages lag the weights and eval-mode
    /// outputs can collapse to one class (issue 21).
    /// </summary>
    public bool PreciseBatchNorm { get; init; }

    /// <summary>The pipelines a config may train with (<c>valid</c> is the evaluation pipeline, not a training choice).</summary>
    public static IReadOnlyList<AugmentationKind> TrainingAugmentations { get; } = [AugmentationKind.Weak, AugmentationKind.Strong, AugmentationKind.None];

    /// <summary>Epochs actually trained: floor(epochs / roi_percent) for a teacher, epochs otherwise.</summary>
    // The authors' expression, math.floor(1.0 / roi_percent * epochs), evaluated in the same double order.
    public int EffectiveEpochs(bool teacher) => teacher ? (int)Math.Floor(1.0 / RoiFraction * Epochs) : Epochs;

    /// <summary>The trainer's options for this stage and a seed.</summary>
    public TrainerOptions ToTrainerOptions(bool teacher, long seed) =>
        new(EffectiveEpochs(teacher), LearningRate, WeightDecay, Schedule, Checkpoint, seed, Precision, PreciseBatchNorm);
}

/// <summary>
/// An experiment as the authors' INI files describe it (sections <c>[settings]</c>, <c>[model]</c> or
/// <c>[teacher]</c>/<c>[student]</c>), or the equivalent JSON form that may also carry our extra options.
/// Paths are absolute, resolved against the config file's folder.
/// </summary>
/// <param name="ExperimentName">Names the output folder (<c>experiment_name</c>).</param>
/// <param name="RawDataDir">Folder of the full images (<c>raw_data_dir</c>).</param>
/// <param name="RoiDataDir">Folder of the ROI images (<c>roi_data_dir</c>).</param>
/// <param name="MetadataFile">The manifest CSV with file_name, class, split (<c>metadata_file</c>).</param>
/// <param name="ModelDir">Output root (<c>model_dir</c>); run folders go to model_dir/experiment_name.</param>
/// <param name="Cuda">CUDA device index (<c>cuda</c>); used when CUDA is available, as in the authors' code.</param>
/// <param name="RepeatedRuns">Repeated runs with derived seeds (<c>repeated_runs</c>).</param>
/// <param name="Model">The baseline stage, or null for distillation.</param>
/// <param name="Teacher">The teacher stage, or null for a baseline.</param>
/// <param name="Student">The student stage, or null for a baseline.</param>
public sealed record ExperimentConfig(
    string ExperimentName, string RawDataDir, string RoiDataDir, string MetadataFile, string ModelDir, int Cuda, int RepeatedRuns,
    StageConfig? Model, StageConfig? Teacher, StageConfig? Student)
{
    /// <summary>Experiment seed (<c>seed</c>, 0): run k uses a seed derived from it and k.</summary>
    public long Seed { get; init; }

    /// <summary>Manifest split evaluated once with the selected checkpoint (<c>test_split</c>, "test"; used when the manifest has it).</summary>
    public string TestSplit { get; init; } = SplitNames.Test;

    /// <summary>Manifest split that selects the checkpoint (<c>valid_split</c>, "valid").</summary>
    public string ValidSplit { get; init; } = SplitNames.Valid;

    /// <summary>The config file this was read from, if any.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Baseline or distillation.</summary>
    public ExperimentKind Kind => Model is not null ? ExperimentKind.Baseline : ExperimentKind.Distillation;

    /// <summary>
    /// The config with every stage (baseline, or teacher and student) training in <paramref name="precision"/>, whatever each
    /// stage's <c>precision</c> key said: what <c>train --precision</c> applies.
    /// </summary>
    public ExperimentConfig WithPrecision(Precision precision) => this with
    {
        Model = Model is null ? null : Model with { Precision = precision },
        Teacher = Teacher is null ? null : Teacher with { Precision = precision },
        Student = Student is null ? null : Student with { Precision = precision },
    };

    const string SettingsSection = "settings";
    static readonly string[] SettingsKeys = ["experiment_name", "raw_data_dir", "roi_data_dir", "metadata_file", "model_dir", "cuda", "repeated_runs"];
    static readonly string[] SettingsExtras = ["seed", "test_split", "valid_split"];
    static readonly string[] StageKeys = ["resolution", "model_architecture", "dropout_percent", "epochs", "augmentations", "batch_size", "kd_epochs", "roi_percent"];
    static readonly string[] StageExtras = ["learning_rate", "weight_decay", "schedule", "checkpoint", "precision", "pretrained", "method",
        "kd_temperature", "consistency_weight", "normalized_features", "teacher_input", "roi_sample_seed", "output_stride", "authors_double_forward", "precise_bn"];

    /// <summary>Reads a config: <c>.json</c> files as the JSON form, anything else (the authors' <c>.txt</c>/<c>.ini</c>) as INI.</summary>
    /// <exception cref="ConfigException">Unknown sections or keys, missing keys, bad values; the message names file, line (INI) and key.</exception>
    public static ExperimentConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"{path}: config file not found.");
        return Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase)
            ? FromJson(File.ReadAllText(path), path)
            : FromIni(File.ReadAllText(path), path);
    }

    /// <summary>Parses the authors' INI form. Only their keys are accepted; paths resolve against <paramref name="path"/>'s folder.</summary>
    public static ExperimentConfig FromIni(string text, string path)
    {
        var sections = new Dictionary<string, Dictionary<string, Entry>>(StringComparer.Ordinal);
        Dictionary<string, Entry>? current = null;
        string? currentName = null;
        int n = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            n++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                if (!line.EndsWith(']')) throw new ConfigException($"{path}, line {n}: expected a section header like [settings], found '{line}'.");
                currentName = line[1..^1].Trim().ToLowerInvariant();
                if (sections.ContainsKey(currentName)) throw new ConfigException($"{path}, line {n}: section [{currentName}] appears twice.");
                current = new Dictionary<string, Entry>(StringComparer.Ordinal);
                sections[currentName] = current;
                continue;
            }
            int eq = line.IndexOfAny(['=', ':']);
            if (eq <= 0) throw new ConfigException($"{path}, line {n}: expected 'key = value', found '{line}'.");
            if (current is null) throw new ConfigException($"{path}, line {n}: key outside any section; the file must start with [settings].");
            // configparser lower-cases keys.
            var key = line[..eq].Trim().ToLowerInvariant();
            var value = line[(eq + 1)..].Trim();
            if (current.ContainsKey(key)) throw new ConfigException($"{path}, line {n}: key '{key}' appears twice in [{currentName}].");
            current[key] = new Entry(value, $"{path}, line {n}, [{currentName}] {key}");
        }
        return Map(sections, path, allowExtras: false);
    }

    /// <summary>Parses the JSON form: an object with the same sections and keys, plus our extra options.</summary>
    public static ExperimentConfig FromJson(string text, string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new ConfigException($"{path}: not valid JSON ({e.Message})."); }
        if (root is not JsonObject obj) throw new ConfigException($"{path}: expected a JSON object with sections settings, model or teacher/student.");
        var sections = new Dictionary<string, Dictionary<string, Entry>>(StringComparer.Ordinal);
        foreach (var (name, node) in obj)
        {
            if (node is not JsonObject sec) throw new ConfigException($"{path}, {name}: expected an object of key/value pairs.");
            var d = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var (key, value) in sec)
            {
                string where = $"{path}, {name}.{key}";
                string s = value switch
                {
                    null => throw new ConfigException($"{where}: expected a value, found null."),
                    JsonValue v when v.TryGetValue<string>(out var str) => str,
                    JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                    JsonValue v => v.ToJsonString(),
                    _ => throw new ConfigException($"{where}: expected a string, number or boolean, found {value.ToJsonString()}."),
                };
                d[key] = new Entry(s, where);
            }
            sections[name] = d;
        }
        return Map(sections, path, allowExtras: true);
    }

    sealed record Entry(string Value, string Where);

    static ExperimentConfig Map(Dictionary<string, Dictionary<string, Entry>> sections, string path, bool allowExtras)
    {
        foreach (var name in sections.Keys)
            if (name != SettingsSection && !Roles.TryFromSection(name, out _))
                throw new ConfigException($"{path}: unknown section [{name}] (expected {SettingsSection}, {string.Join(", ", Roles.Sections)}).");
        if (!sections.TryGetValue(SettingsSection, out var settings)) throw new ConfigException($"{path}: missing section [{SettingsSection}].");
        bool Has(Role role) => sections.ContainsKey(Roles.Section(role));
        bool baseline = Has(Role.Baseline);
        bool kd = Has(Role.Teacher) || Has(Role.Student);
        if (baseline == kd)
            throw new ConfigException($"{path}: expected either a [model] section (baseline) or [teacher] and [student] sections (distillation), found {string.Join(", ", sections.Keys.Select(k => $"[{k}]"))}.");
        if (kd && !(Has(Role.Teacher) && Has(Role.Student)))
            throw new ConfigException($"{path}: a distillation config needs both [teacher] and [student].");
        StageConfig? StageOf(Role role) => Has(role) ? Stage(sections[Roles.Section(role)], role, path, allowExtras) : null;

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var s = new Section(SettingsSection, settings, path, allowExtras ? [.. SettingsKeys, .. SettingsExtras] : SettingsKeys);
        // The experiment as its required keys give it; the optional settings fall back to this instance's initialised values.
        var defaults = new ExperimentConfig(
            ExperimentName: s.Name("experiment_name"),
            RawDataDir: s.Path("raw_data_dir", dir),
            RoiDataDir: s.Path("roi_data_dir", dir),
            MetadataFile: s.Path("metadata_file", dir),
            ModelDir: s.Path("model_dir", dir, "models"),
            Cuda: s.Int("cuda", 0, min: 0),
            RepeatedRuns: s.Int("repeated_runs", null, min: 1),
            Model: StageOf(Role.Baseline),
            Teacher: StageOf(Role.Teacher),
            Student: StageOf(Role.Student));
        return defaults with
        {
            Seed = s.Long("seed", defaults.Seed),
            TestSplit = s.Text("test_split", defaults.TestSplit),
            ValidSplit = s.Text("valid_split", defaults.ValidSplit),
            SourcePath = Path.GetFullPath(path),
        };
    }

    static StageConfig Stage(Dictionary<string, Entry> entries, Role role, string path, bool allowExtras)
    {
        var name = Roles.Section(role);
        bool student = role == Role.Student, teacher = role == Role.Teacher;
        // The authors' files carry kd_epochs only in [student] and roi_percent only in [teacher].
        var keys = StageKeys.Where(k => (k != "kd_epochs" || student) && (k != "roi_percent" || teacher)).ToArray();
        var s = new Section(name, entries, path, allowExtras ? [.. keys, .. StageExtras] : keys);
        // The stage as its required keys give it: every other setting holds its default (StageConfig's initialisers, the one
        // place they are written), and each key a file leaves out keeps it.
        var defaults = new StageConfig(
            Resolution: s.Int("resolution", null, min: 8),
            Architecture: s.Name("model_architecture"),
            Dropout: s.Double("dropout_percent", null, 0, 1, maxInclusive: false),
            Epochs: s.Int("epochs", null, min: 1),
            Augmentations: s.Required("augmentations", StageConfig.TrainingAugmentations),
            BatchSize: s.Int("batch_size", null, min: 1),
            KdEpochs: student ? s.Int("kd_epochs", null, min: 0) : null);
        var stage = defaults with
        {
            RoiFraction = teacher ? s.Double("roi_percent", defaults.RoiFraction, 0, 1, minExclusive: true) : defaults.RoiFraction,
            LearningRate = s.Double("learning_rate", defaults.LearningRate, 0, double.MaxValue, minExclusive: true),
            WeightDecay = s.Double("weight_decay", defaults.WeightDecay, 0, double.MaxValue),
            Schedule = s.Choice("schedule", defaults.Schedule),
            Checkpoint = s.Choice("checkpoint", defaults.Checkpoint),
            Precision = s.Choice("precision", defaults.Precision),
            Pretrained = s.Bool("pretrained", defaults.Pretrained),
            Method = s.Choice("method", defaults.Method),
            KdTemperature = s.Double("kd_temperature", defaults.KdTemperature, 0, double.MaxValue, minExclusive: true),
            ConsistencyWeight = s.Double("consistency_weight", defaults.ConsistencyWeight, 0, 1),
            NormalizedFeatures = s.Bool("normalized_features", defaults.NormalizedFeatures),
            TeacherInput = s.Choice("teacher_input", defaults.TeacherInput),
            RoiSampleSeed = s.Int("roi_sample_seed", defaults.RoiSampleSeed, min: 0),
            OutputStride = s.OneOf("output_stride", defaults.OutputStride, Backbone.OutputStrides),
            AuthorsDoubleForward = s.Bool("authors_double_forward", defaults.AuthorsDoubleForward),
            PreciseBatchNorm = s.Bool("precise_bn", defaults.PreciseBatchNorm),
        };
        if (!student && entries.ContainsKey("method"))
            throw new ConfigException($"{s.Where("method")}: only [student] takes a method.");
        if (entries.ContainsKey("authors_double_forward") && (!student || stage.Method != DistillationMethod.Hkd))
            throw new ConfigException($"{s.Where("authors_double_forward")}: only an HKD student ([student] with method hkd) takes authors_double_forward, found it in [{name}]{(student ? $" with method {SnakeCase.Of(stage.Method)}" : "")}.");
        if (stage.Schedule == LearningRateScheduleKind.Paper && stage.EffectiveEpochs(teacher) < 2)
            throw new ConfigException($"{s.Where("epochs")}: the paper schedule is CosineAnnealingLR(T_max = epochs − 1) and needs at least 2 epochs; set schedule to cosine or constant.");
        return stage;
    }

    sealed class Section(string name, Dictionary<string, Entry> entries, string path, string[] allowed)
    {
        readonly Dictionary<string, Entry> entries = Check(name, entries, path, allowed);

        static Dictionary<string, Entry> Check(string name, Dictionary<string, Entry> entries, string path, string[] allowed)
        {
            foreach (var (key, e) in entries)
                if (!allowed.Contains(key))
                    throw new ConfigException($"{e.Where}: unknown key '{key}' in [{name}] (expected one of {string.Join(", ", allowed)}).");
            return entries;
        }

        public string Where(string key) => entries.TryGetValue(key, out var e) ? e.Where : $"{path}, [{name}] {key}";

        string? Raw(string key, bool required)
        {
            if (entries.TryGetValue(key, out var e)) return e.Value;
            if (required) throw new ConfigException($"{path}: missing key '{key}' in [{name}].");
            return null;
        }

        public string Text(string key, string? fallback)
        {
            var v = Raw(key, fallback is null) ?? fallback!;
            if (v.Length == 0) throw new ConfigException($"{Where(key)}: expected a value, found nothing.");
            return v;
        }

        public string Name(string key)
        {
            // Names become folder and file names (<out>/<experiment_name>/, <experiment_name>_<arch>_metrics.csv): the
            // one safe-path rule decides, so "..", "/x", "a/../../b" and "" are refused before anything is written.
            var v = Runtime.SafePath.Segment(Raw(key, required: true)!, Where(key));
            // The authors' scripts and our Slurm lines pass names unquoted: a name is one word as well.
            if (v.Contains(' '))
                throw new ConfigException($"{Where(key)}: expected a name without spaces, found '{v}'.");
            return v;
        }

        public string Path(string key, string dir, string? fallback = null) => System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, Text(key, fallback)));

        /// <summary>An enum setting by its snake_case name (<see cref="SnakeCase"/>), <paramref name="fallback"/> when the key is absent.</summary>
        public TEnum Choice<TEnum>(string key, TEnum fallback) where TEnum : struct, Enum =>
            Raw(key, false) is null ? fallback : Required<TEnum>(key);

        /// <summary>A required enum setting by its snake_case name, one of <paramref name="allowed"/> when given.</summary>
        public TEnum Required<TEnum>(string key, IReadOnlyList<TEnum>? allowed = null) where TEnum : struct, Enum =>
            SnakeCase.Parse(Text(key, null), Where(key), allowed, m => new ConfigException(m));

        /// <summary>An integer setting that takes one of a few values (<paramref name="options"/>), <paramref name="fallback"/> when absent.</summary>
        public int OneOf(string key, int fallback, IReadOnlyList<int> options)
        {
            var v = Raw(key, false);
            if (v is null) return fallback;
            if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && options.Contains(i)) return i;
            throw new ConfigException($"{Where(key)}: expected one of {string.Join(", ", options.Select(o => o.ToString(CultureInfo.InvariantCulture)))}, found '{v}'.");
        }

        public int Int(string key, int? fallback, int min)
        {
            var v = Raw(key, fallback is null);
            if (v is null) return fallback!.Value;
            if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) || i < min)
                throw new ConfigException($"{Where(key)}: expected an integer ≥ {min}, found '{v}'.");
            return i;
        }

        public long Long(string key, long fallback)
        {
            var v = Raw(key, false);
            if (v is null) return fallback;
            if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
                throw new ConfigException($"{Where(key)}: expected an integer, found '{v}'.");
            return i;
        }

        public double Double(string key, double? fallback, double min, double max, bool minExclusive = false, bool maxInclusive = true)
        {
            var v = Raw(key, fallback is null);
            if (v is null) return fallback!.Value;
            bool ok = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                      && (minExclusive ? d > min : d >= min) && (maxInclusive ? d <= max : d < max);
            if (!ok)
            {
                string range = $"{(minExclusive ? "(" : "[")}{min.ToString(CultureInfo.InvariantCulture)}, {(max == double.MaxValue ? "∞" : max.ToString(CultureInfo.InvariantCulture))}{(maxInclusive && max != double.MaxValue ? "]" : ")")}";
                throw new ConfigException($"{Where(key)}: expected a number in {range}, found '{v}'.");
            }
            return d;
        }

        public bool Bool(string key, bool fallback)
        {
            var v = Raw(key, false);
            if (v is null) return fallback;
            return v.ToLowerInvariant() switch
            {
                "true" or "yes" or "1" or "on" => true,
                "false" or "no" or "0" or "off" => false,
                _ => throw new ConfigException($"{Where(key)}: expected true or false, found '{v}'."),
            };
        }
    }

    /// <summary>
    /// The resolved config in the JSON form, every option spelled out, as an experiment's <c>config.json</c> holds it
    /// (<see cref="ExperimentRecord"/>). Paths are absolute, or, with <paramref name="relativeTo"/>, relative to that folder
    /// with forward slashes: what a file in that folder should hold, since <see cref="Load"/> resolves a config's paths
    /// against the file's folder.
    /// </summary>
    public string ToJson(string? relativeTo = null) =>
        ExperimentRecord.Of(this, relativeTo is null ? p => p : p => RecordedPath.Store(p, relativeTo)).ToJson();
}

/// <summary>A config file that cannot be used; the message names the file, line or key, and what was expected.</summary>
public sealed class ConfigException(string message) : Exception(message);
