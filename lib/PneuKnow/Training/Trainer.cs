using PneuKnow.Data;
using System.Diagnostics;
using System.Globalization;
using PneuKnow.Augmentation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Training;

/// <summary>One run to train: a model, a method, data, hyper-parameters and the folder it owns.</summary>
/// <param name="Model">The network to train, already on its device.</param>
/// <param name="Method">The loss over a batch.</param>
/// <param name="Data">Training, validation and optional test batches.</param>
/// <param name="Options">Hyper-parameters.</param>
/// <param name="Directory">The run folder (see <see cref="RunFolder"/>).</param>
public sealed record TrainingRun(Backbone Model, ITrainingMethod Method, TrainingData Data, TrainerOptions Options, string Directory)
{
    /// <summary>Repeated-run number k, used in the log's <c>fold{k}_…</c> column names.</summary>
    public int Fold { get; init; }

    /// <summary>Shown in progress lines before the epoch, e.g. <c>[unit 3/10 · resnet18 · shortcut · student · run 1/3]</c> (<see cref="Experiment.RunLabel"/>).</summary>
    public string Description { get; init; } = "train";

    /// <summary>
    /// The experiment's description of this run (data paths, the stage's settings, the initialisation, a student's teacher):
    /// with the options, method and data sizes, the run's identity (<see cref="RunRecord"/>), written to <c>run.json</c> and
    /// hashed into the key a resumed or reused run must match. Null for a run trained outside an experiment.
    /// </summary>
    public RunConfig? Config { get; init; }

    /// <summary>Called after every completed (and saved) epoch; notebooks plot live curves from it.</summary>
    public Action<EpochRecord, EpochTiming>? EpochCompleted { get; init; }

    /// <summary>
    /// Called with every training batch (0-based epoch, the batch as the loader drew it) before the step; lets a caller
    /// check what a run saw, e.g. that the baseline and the student of one pair saw identical batches.
    /// </summary>
    public Action<int, Batch>? BatchDrawn { get; init; }
}

/// <summary>
/// The training loop shared by every method: Adam, the learning-rate schedule, validation after
/// every epoch, checkpoint selection, resumable state after every epoch, predictions of the selected
/// checkpoint at the end. Every step runs in its own dispose scope; every write is atomic.
/// </summary>
public static class Trainer
{
    sealed record ResumeState(
        string Key, int CompletedEpochs, long ScheduleSteps, double ScheduleRate,
        int BestEpoch, double BestValidLoss, double BestValidAccuracy,
        List<EpochRecord> Epochs, List<EpochTiming> Timings, double FirstBatchLoss = double.NaN,
        // fp16-mixed only; absent from the state files of the other precisions (and of earlier code).
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        LossScaleState? LossScale = null);

    /// <summary>
    /// Trains <paramref name="run"/>. A folder holding a finished run with the same configuration is
    /// reused as is; one holding an interrupted run continues after its last completed epoch, with the
    /// model, optimizer, schedule, torch seed and best-so-far restored, and ends with the same numbers
    /// as an uninterrupted run on CPU.
    /// </summary>
    /// <param name="run">What to train.</param>
    /// <param name="progress">Progress per epoch (loss, accuracy, lr); null for none.</param>
    /// <param name="cancel">Stops between batches; the folder keeps the last completed epoch.</param>
    /// <exception cref="TrainingException">A NaN/Inf loss (names epoch and batch), CUDA out of memory (names the batch size), or a folder of another configuration.</exception>
    public static TrainingResult Train(TrainingRun run, IProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= SilentProgress.Instance;
        var options = run.Options;
        options.Validate();
        var folder = new RunFolder(run.Directory);
        var requested = RunRecord.For(run);
        var key = requested.Key!;
        // Read only when a recorded key differs from this run's: the run may have been moved (its paths, which the key
        // hashes, name another place), or be another run (the message names the settings that differ).
        string Differences() => RunIdentity.Differences(RunRecord.TryRead(folder), requested);
        bool Moved() => RunIdentity.IsRelocation(RunRecord.TryRead(folder), requested);

        if (File.Exists(folder.Failed))
        {
            // A failed run is deterministic: training it again would fail the same way, so it is refused until its record is removed.
            var failed = RunFolder.Read<RunFailure>(folder.Failed);
            if (failed.Key != key && !Moved()) throw Foreign(folder, folder.Failed, Differences());
            throw new TrainingException($"{folder.Directory}: this run failed in epoch {failed.Epoch}: {failed.Reason} " +
                $"(recorded in {folder.Failed}; delete that file to train it again).");
        }

        // A finished run may be packed with its unit's other runs (Data.RunPack): reused from there, its folder not created.
        if (RunFile.Exists(folder.Result))
        {
            var done = RunFolder.Read<RunResult>(folder.Result);
            if (done.Key != key && !Moved()) throw Foreign(folder, folder.Result, Differences());
            return new TrainingResult(folder.Directory, done.BestEpoch, done.BestValidLoss, done.BestValidAccuracy,
                done.TestLoss, done.TestAccuracy, done.Epochs, done.Timings, Reused: true);
        }
        System.IO.Directory.CreateDirectory(folder.Directory);

        var model = run.Model;
        var extra = run.Method.Extra;
        // The master weights, the adapter and Adam's state are float32 in every precision; a mixed one lowers only the
        // forward pass's arithmetic (an autocast scope around each forward, see Precision).
        var dtype = ScalarType.Float32;
        model.to(dtype);
        extra?.to(dtype);
        var trainable = model.parameters().Where(p => p.requires_grad)
            .Concat(extra?.parameters() ?? []).ToList();
        if (trainable.Count == 0) throw new TrainingException($"{folder.Directory}: the model has no trainable parameters.");
        using var optimizer = optim.Adam(trainable, lr: options.LearningRate, weight_decay: options.WeightDecay);
        var mixed = new MixedPrecision(options.Precision, trainable[0].device,
            options.Precision == Precision.Float16Mixed ? new DynamicLossScaler() : null);
        var schedule = new LearningRateSchedule(options.Schedule, options.LearningRate, options.Epochs);

        ResumeState state;
        if (File.Exists(folder.State))
        {
            state = RunFolder.Read<ResumeState>(folder.State);
            if (state.Key != key)
            {
                if (!Moved()) throw Foreign(folder, folder.State, Differences());
                // Continued here: the state, then run.json (what TrainedModel and explain read), name this clone's data from now
                // on. In that order, so that a stop between the two writes leaves a state whose key matches.
                state = state with { Key = key };
                RunFolder.Write(folder.State, state);
                requested.Write(folder);
            }
            int last = state.CompletedEpochs - 1;
            model.load(folder.ModelAfter(last));
            if (extra is not null) extra.load(folder.ExtraAfter(last));
            optimizer.load_state_dict(folder.OptimizerAfter(last));
            if (mixed.Scaler is { } scaler)
                scaler.Restore(state.LossScale ?? throw new TrainingException($"{folder.State}: an fp16-mixed run's resume state lacks its loss scale (loss_scale)."));
            schedule.Restore(state.ScheduleSteps, state.ScheduleRate);
            // A stop between the commit and the copy of a new best leaves best.pt one selection behind: redo the copy.
            if (state.BestEpoch == last) CopyBest(folder, extra is not null, last);
        }
        else
        {
            requested.Write(folder);
            state = new ResumeState(key, 0, 0, options.LearningRate, -1, double.PositiveInfinity, 0, [], []);
        }
        SetRate(optimizer, schedule.Rate);

        for (int epoch = state.CompletedEpochs; epoch < options.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            EpochRecord record;
            EpochTiming timing;
            double firstBatchLoss;
            try { (record, timing, firstBatchLoss) = RunEpoch(run, folder, optimizer, trainable, mixed, schedule, dtype, epoch, progress, cancel); }
            catch (NonFiniteLossException e) { throw Fail(folder, key, epoch, e.Message); }
            if (epoch == 0) state = state with { FirstBatchLoss = firstBatchLoss };
            if (DivergenceGuard.Check(state.FirstBatchLoss, record) is { } diverged)
                throw Fail(folder, key, epoch, $"{folder.Directory}: {diverged}");
            bool better = state.BestEpoch < 0 || (options.Criterion == CheckpointCriterion.ValidationLoss
                ? record.ValidLoss < state.BestValidLoss
                : record.ValidAccuracy > state.BestValidAccuracy);
            var epochs = state.Epochs.Append(record).ToList();
            var timings = state.Timings.Append(timing).ToList();
            state = better
                ? state with { BestEpoch = epoch, BestValidLoss = record.ValidLoss, BestValidAccuracy = record.ValidAccuracy }
                : state;
            state = state with
            {
                CompletedEpochs = epoch + 1, ScheduleSteps = schedule.State.Steps, ScheduleRate = schedule.State.Rate,
                Epochs = epochs, Timings = timings, LossScale = mixed.Scaler?.State,
            };
            Commit(folder, run, model, extra, optimizer, state, epoch, better);
            run.EpochCompleted?.Invoke(record, timing);
        }

        return Finish(run, folder, key, state, dtype, mixed);
    }

    /// <summary>The run's precision on its device, and the loss scaler of fp16-mixed (null otherwise).</summary>
    sealed record MixedPrecision(Precision Precision, Device Device, DynamicLossScaler? Scaler)
    {
        /// <summary>The forward pass's autocast scope; null (no scope, the float32 code as it always ran) for fp32.</summary>
        public Runtime.Autocast? Forward() => Precision.Forward(Device);
    }

    static (EpochRecord, EpochTiming, double FirstBatchLoss) RunEpoch(TrainingRun run, RunFolder folder, TorchSharp.Modules.Adam optimizer,
        IReadOnlyList<TorchSharp.Modules.Parameter> trainable, MixedPrecision mixed,
        LearningRateSchedule schedule, ScalarType dtype, int epoch, IProgress progress, CancellationToken cancel)
    {
        var model = run.Model;
        var method = run.Method;
        var extra = method.Extra;
        // Dropout and stochastic depth draw from torch's global generator: reseeding it per epoch makes a
        // resumed epoch draw exactly what the uninterrupted one drew.
        manual_seed(Seeds.Derive(run.Options.Seed, "epoch", epoch));
        model.train();
        extra?.train();
        double weight = method.ConsistencyWeightAt(epoch);
        double sumLoss = 0, sumCons = 0, sumCls = 0, firstLoss = double.NaN;
        long correct = 0, seen = 0;
        int batches = 0;
        var clock = Stopwatch.StartNew();
        using (var task = progress.Start($"{run.Description} epoch {epoch + 1}/{run.Options.Epochs}", run.Data.Train.BatchesPerEpoch))
        {
            foreach (var raw in run.Data.Train.Epoch(epoch))
            {
                using var scope = NewDisposeScope();
                using var _ = raw;
                cancel.ThrowIfCancellationRequested();
                run.BatchDrawn?.Invoke(epoch, raw);
                var batch = AsType(raw, dtype);
                float loss, cls, cons;
                long right;
                try
                {
                    optimizer.zero_grad();
                    LossTerms terms;
                    // The scope closes before backward, as torch.autocast's does: the backward of each lowered operator
                    // runs in the type its forward chose, and the cache of 16-bit weight copies is dropped before the
                    // optimizer changes the weights. The losses cast their inputs to float32 (Forward.CrossEntropy,
                    // DistillationLoss, LogitDistillation), so the scalars below are float32 in every precision.
                    using (mixed.Forward()) terms = method.Loss(model, batch, epoch);
                    if (mixed.Scaler is { } scaler)
                    {
                        scaler.ScaleLoss(terms.Total).backward();
                        scaler.Step(optimizer, trainable);
                    }
                    else
                    {
                        terms.Total.backward();
                        optimizer.step();
                    }
                    // One device-to-host copy per batch for all four numbers (each .item() would synchronise on a GPU).
                    var f32 = ScalarType.Float32;
                    var numbers = stack([
                        terms.Total.detach().to(f32), terms.Classification.detach().to(f32),
                        terms.Consistency is null ? zeros([], f32, terms.Total.device) : terms.Consistency.detach().to(f32),
                        terms.Logits.detach().argmax(1).eq(batch.Label).sum().to(f32),
                    ]).cpu().data<float>().ToArray();
                    (loss, cls, cons, right) = (numbers[0], numbers[1], numbers[2], (long)numbers[3]);
                }
                catch (Exception e) when (IsOutOfMemory(e))
                {
                    throw new TrainingException(
                        $"{folder.Directory}: out of memory at batch size {batch.Size} (epoch {epoch}, batch {batches}) on {model.parameters().First().device}; " +
                        $"use a smaller batch_size (e.g. {Math.Max(1, batch.Size / 2)}) or a lower resolution.", e);
                }
                if (!float.IsFinite(loss) || !float.IsFinite(cls) || !float.IsFinite(cons))
                    throw new NonFiniteLossException(
                        $"{folder.Directory}: the loss became {loss.ToString(CultureInfo.InvariantCulture)} (classification {cls.ToString(CultureInfo.InvariantCulture)}, " +
                        $"consistency {cons.ToString(CultureInfo.InvariantCulture)}) at epoch {epoch}, batch {batches} (learning rate {schedule.Rate:G4}); " +
                        "training stopped. Lower the learning rate, check the input images, or use float32 precision.");
                schedule.AfterBatch();
                SetRate(optimizer, schedule.Rate);
                if (batches == 0) firstLoss = loss;
                sumLoss += loss;
                sumCls += cls;
                sumCons += cons;
                correct += right;
                seen += batch.Size;
                batches++;
                task.Advance(1, string.Create(CultureInfo.InvariantCulture,
                    $"loss {sumLoss / batches:F4} acc {(double)correct / seen:F3} lr {schedule.Rate:G3}"));
            }
            if (batches == 0) throw new TrainingException($"{folder.Directory}: epoch {epoch} yielded no training batches.");
            schedule.AfterEpoch();
            SetRate(optimizer, schedule.Rate);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            if (run.Options.PreciseBatchNorm)
            {
                // Eval-mode numbers (validation, checkpoint selection, best.pt, test predictions, a teacher's features for
                // its students) use statistics of this epoch's final weights. The loader's batches of this epoch depend only
                // on its seed and the epoch, and the pass runs BatchNorm alone in train mode, so no random number that
                // training draws is consumed and the weights train exactly as without it.
                cancel.ThrowIfCancellationRequested();
                using (mixed.Forward()) PreciseBatchNorm.Recompute(model, run.Data.Train.Epoch(epoch), method.EvaluationInput);
            }
            double preciseSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var valid = Evaluate(model, method, run.Data.Valid, dtype, mixed, run.Data.Classes, keepRows: false);
            double validSeconds = clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(valid.Loss))
                throw new NonFiniteLossException(
                    $"{folder.Directory}: the validation loss became {valid.Loss.ToString(CultureInfo.InvariantCulture)} after epoch {epoch} although training losses were finite; " +
                    "a common cause is a training batch of one example reaching a 1×1 feature map, which makes batch-norm running variances NaN: " +
                    "use a larger resolution or a batch size that does not leave a final batch of one.");
            task.Advance(0, string.Create(CultureInfo.InvariantCulture,
                $"loss {sumLoss / batches:F4} acc {(double)correct / seen:F3} val_loss {valid.Loss:F4} val_acc {valid.Accuracy:F3} lr {schedule.Rate:G3}"));
            var record = new EpochRecord(epoch, (double)correct / seen, sumLoss / batches,
                method.HasConsistency ? sumCons / batches : null, sumCls / batches,
                valid.Accuracy, valid.Loss, schedule.Rate, weight);
            var timing = new EpochTiming(epoch, trainSeconds, validSeconds, seen / Math.Max(trainSeconds, 1e-9), ProcessMemory.ResidentBytes(), preciseSeconds,
                TorchRuntime.Machine());
            return (record, timing, firstLoss);
        }
    }

    /// <summary>The selected checkpoint's loss, accuracy and (optionally) per-image predictions on a split.</summary>
    sealed record SplitResult(double Loss, double Accuracy, List<PredictionRow> Rows);

    static SplitResult Evaluate(Backbone model, ITrainingMethod method, EvaluationSplit split, ScalarType dtype, MixedPrecision mixed,
        IReadOnlyList<string> classes, bool keepRows)
    {
        model.eval();
        method.Extra?.eval();
        double sumLoss = 0;
        long correct = 0, seen = 0;
        var rows = new List<PredictionRow>();
        using var noGrad = no_grad();
        foreach (var raw in split.Source.Epoch(0))
        {
            using var scope = NewDisposeScope();
            using var _ = raw;
            var batch = AsType(raw, dtype);
            var input = method.EvaluationInput(batch);
            // A mixed run validates and tests in the precision it trained in (the checkpoint it selects is the one that ran
            // that way); the logits become float32 before the loss and the softmax.
            Tensor logits;
            using (mixed.Forward()) logits = model.Head(model.Features(Forward.Normalized(model, input)));
            logits = logits.to(ScalarType.Float32);
            sumLoss += nn.functional.cross_entropy(logits, batch.Label, reduction: nn.Reduction.Sum).item<float>();
            var predicted = logits.argmax(1);
            correct += predicted.eq(batch.Label).sum().item<long>();
            seen += batch.Size;
            if (keepRows)
            {
                var probs = nn.functional.softmax(logits, 1).to(ScalarType.Float64).cpu().data<double>().ToArray();
                var labels = batch.Label.cpu().data<long>().ToArray();
                var indices = batch.Index.cpu().data<long>().ToArray();
                var preds = predicted.cpu().data<long>().ToArray();
                int k = classes.Count;
                for (int i = 0; i < labels.Length; i++)
                {
                    int index = checked((int)indices[i]);
                    if (index < 0 || index >= split.FileNames.Count)
                        throw new TrainingException($"split {split.Name}: batch index {index} is outside the {split.FileNames.Count} file names given.");
                    rows.Add(new PredictionRow(index, split.FileNames[index], (int)labels[i], (int)preds[i], probs.AsSpan(i * k, k).ToArray()));
                }
            }
        }
        if (seen == 0) throw new TrainingException($"split {split.Name}: no batches to evaluate.");
        return new SplitResult(sumLoss / seen, (double)correct / seen, rows);
    }

    static void Commit(RunFolder folder, TrainingRun run, Backbone model, nn.Module<Tensor, Tensor>? extra,
        TorchSharp.Modules.Adam optimizer, ResumeState state, int epoch, bool better)
    {
        // Weights first, the state file next: state.json is the commit point a resume trusts. The selected
        // weights are copied from this epoch's files only after it, so best.pt never runs ahead of the state.
        AtomicFile.Write(folder.ModelAfter(epoch), t => model.save(t));
        if (extra is not null) AtomicFile.Write(folder.ExtraAfter(epoch), t => extra.save(t));
        AtomicFile.Write(folder.OptimizerAfter(epoch), t => optimizer.save_state_dict(t));
        folder.WriteLog(run.Fold, run.Method.HasConsistency, state.Epochs);
        folder.WriteTimings(state.Timings);
        RunFolder.Write(folder.State, state);
        if (better) CopyBest(folder, extra is not null, epoch);
        foreach (var old in System.IO.Directory.EnumerateFiles(folder.CheckpointDirectory, "*.e*.pt"))
        {
            var name = Path.GetFileName(old);
            if (!name.EndsWith($".e{epoch}.pt", StringComparison.Ordinal)) File.Delete(old);
        }
    }

    static void CopyBest(RunFolder folder, bool hasExtra, int epoch)
    {
        AtomicFile.Write(folder.BestModel, t => File.Copy(folder.ModelAfter(epoch), t, overwrite: true));
        if (hasExtra) AtomicFile.Write(folder.BestExtra, t => File.Copy(folder.ExtraAfter(epoch), t, overwrite: true));
    }

    static TrainingResult Finish(TrainingRun run, RunFolder folder, string key, ResumeState state, ScalarType dtype, MixedPrecision mixed)
    {
        long started = Stopwatch.GetTimestamp();
        var model = run.Model;
        CheckpointFile.Load(model, folder.BestModel);
        if (run.Method.Extra is { } extraModule) CheckpointFile.Load(extraModule, folder.BestExtra);
        var valid = Evaluate(model, run.Method, run.Data.Valid, dtype, mixed, run.Data.Classes, keepRows: true);
        new Predictions(run.Data.Classes, valid.Rows).Write(folder.Predictions(run.Data.Valid.Name));
        SplitResult? test = null;
        if (run.Data.Test is { } testSplit)
        {
            test = Evaluate(model, run.Method, testSplit, dtype, mixed, run.Data.Classes, keepRows: true);
            new Predictions(run.Data.Classes, test.Rows).Write(folder.Predictions(testSplit.Name));
        }
        RunFolder.Write(folder.Result, new RunResult(key, state.BestEpoch, state.BestValidLoss, state.BestValidAccuracy,
            test?.Loss, test?.Accuracy, state.Epochs, state.Timings));
        // The run is complete: the resume state is no longer needed (best.pt and the logs stay).
        System.IO.Directory.Delete(folder.CheckpointDirectory, recursive: true);
        return new TrainingResult(folder.Directory, state.BestEpoch, state.BestValidLoss, state.BestValidAccuracy,
            test?.Loss, test?.Accuracy, state.Epochs, state.Timings, Reused: false) { FinalPassSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds };
    }

    static Batch AsType(Batch b, ScalarType dtype) =>
        b.Image.dtype == dtype ? b : b with { Image = b.Image.to(dtype), Roi = b.Roi.to(dtype), Mask = b.Mask.to(dtype) };

    static void SetRate(TorchSharp.Modules.Adam optimizer, double rate)
    {
        foreach (var g in optimizer.ParamGroups) g.LearningRate = rate;
    }

    static bool IsOutOfMemory(Exception e) =>
        e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) && e is not TrainingException;

    /// <summary>Records the failure in the run folder (so tables and reruns see it) and returns the exception to throw.</summary>
    static TrainingException Fail(RunFolder folder, string key, int epoch, string reason)
    {
        RunFolder.Write(folder.Failed, new RunFailure(key, epoch, reason));
        return new TrainingException(reason + $" The run is marked failed in {folder.Failed}.");
    }

    /// <summary>A non-finite training or validation loss inside an epoch; <see cref="Train"/> marks the run failed.</summary>
    sealed class NonFiniteLossException(string message) : Exception(message);

    static TrainingException Foreign(RunFolder folder, string file, string differences) => new(
        $"{file}: this run folder holds a run of a different configuration (see {folder.Config}{differences}); " +
        "use another output folder or delete this one to start over.");
}
