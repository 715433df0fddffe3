using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Training;

/// <summary>The loss scaler's state between steps, saved with a run's resume state.</summary>
/// <param name="Scale">The factor the next loss is multiplied by.</param>
/// <param name="GoodSteps">Consecutive steps with finite gradients since the scale last changed.</param>
/// <param name="SkippedSteps">Steps skipped so far because their gradients overflowed.</param>
public sealed record LossScaleState(double Scale, int GoodSteps, long SkippedSteps);

/// <summary>
/// Dynamic loss scaling for float16 mixed precision, with <c>torch.amp.GradScaler</c>'s semantics and defaults: the loss
/// is multiplied by a scale before the backward pass, so that gradients too small for float16 (below about 6e-8) do not
/// vanish on the way; before the optimizer step the gradients are divided by it again. A step whose gradients hold an inf
/// or NaN (the scaled backward overflowed float16's 65504) is skipped entirely (weights and optimizer state untouched)
/// and the scale halves; after <see cref="GrowthInterval"/> consecutive good steps it doubles.
/// </summary>
/// <remarks>
/// bfloat16 shares float32's exponent range and needs no scaling (PyTorch does not scale it either), so the trainer uses
/// this class only for <see cref="Precision.Float16Mixed"/>. Deciding whether to step needs the overflow flag on the host,
/// one synchronisation per step, as GradScaler's own <c>step</c> does.
/// </remarks>
public sealed class DynamicLossScaler
{
    /// <summary>Creates a scaler (the defaults are GradScaler's).</summary>
    /// <param name="initialScale">The first scale (2^16).</param>
    /// <param name="growthFactor">The factor after <paramref name="growthInterval"/> good steps (2).</param>
    /// <param name="backoffFactor">The factor after an overflow (0.5).</param>
    /// <param name="growthInterval">Good steps before the scale grows (2000).</param>
    /// <exception cref="ArgumentOutOfRangeException">A scale that is not positive and finite, a growth factor not above 1, a backoff not in (0, 1), an interval below 1.</exception>
    public DynamicLossScaler(double initialScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initialScale > 0) || double.IsInfinity(initialScale))
            throw new ArgumentOutOfRangeException(nameof(initialScale), initialScale, "loss scale: expected a positive finite number.");
        if (!(growthFactor > 1) || double.IsInfinity(growthFactor))
            throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "loss scale growth factor: expected a finite number above 1.");
        if (!(backoffFactor > 0 && backoffFactor < 1))
            throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "loss scale backoff factor: expected a number between 0 and 1.");
        if (growthInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "loss scale growth interval: expected at least 1 step.");
        Scale = initialScale;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
    }

    /// <summary>The factor the next loss is multiplied by.</summary>
    public double Scale { get; private set; }
    /// <summary>Consecutive good steps since the scale last changed.</summary>
    public int GoodSteps { get; private set; }
    /// <summary>Steps skipped so far.</summary>
    public long SkippedSteps { get; private set; }
    /// <summary>The factor after <see cref="GrowthInterval"/> good steps.</summary>
    public double GrowthFactor { get; }
    /// <summary>The factor after an overflow.</summary>
    public double BackoffFactor { get; }
    /// <summary>Good steps before the scale grows.</summary>
    public int GrowthInterval { get; }

    /// <summary>The state to save with a run.</summary>
    public LossScaleState State => new(Scale, GoodSteps, SkippedSteps);

    /// <summary>Continues from a saved state.</summary>
    /// <exception cref="ArgumentException">A scale that is not positive and finite, or negative counts.</exception>
    public void Restore(LossScaleState state)
    {
        if (!(state.Scale > 0) || double.IsInfinity(state.Scale) || state.GoodSteps < 0 || state.SkippedSteps < 0)
            throw new ArgumentException($"loss scale state: expected a positive finite scale and counts ≥ 0, found scale {state.Scale.ToString(CultureInfo.InvariantCulture)}, " +
                $"good steps {state.GoodSteps}, skipped steps {state.SkippedSteps}.");
        (Scale, GoodSteps, SkippedSteps) = (state.Scale, state.GoodSteps, state.SkippedSteps);
    }

    /// <summary>The loss multiplied by <see cref="Scale"/>, in float32: call <c>backward()</c> on it instead of on the loss.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss.to(ScalarType.Float32) * Scale;

    /// <summary>
    /// Divides the gradients of <paramref name="parameters"/> by the scale, steps <paramref name="optimizer"/> when all of them
    /// are finite, and updates the scale: halves it after an overflow, grows it after <see cref="GrowthInterval"/> good steps.
    /// </summary>
    /// <param name="optimizer">The optimizer over <paramref name="parameters"/>.</param>
    /// <param name="parameters">The parameters whose gradients the scaled backward filled (the optimizer's).</param>
    /// <returns>True when the optimizer stepped; false when the step was skipped.</returns>
    public bool Step(optim.Optimizer optimizer, IEnumerable<Parameter> parameters)
    {
        bool overflow;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            // float32's reciprocal of the scale, as GradScaler computes it (exact for its powers of two).
            double inverse = (float)(1.0 / Scale);
            Tensor? bad = null;
            foreach (var p in parameters)
            {
                var g = p.grad;
                if (g is null) continue;
                g.mul_(inverse);
                var nonFinite = g.isfinite().logical_not().any();
                bad = bad is null ? nonFinite : bad.logical_or_(nonFinite);
            }
            overflow = bad is not null && bad.item<bool>();
        }
        if (overflow)
        {
            Scale *= BackoffFactor;
            GoodSteps = 0;
            SkippedSteps++;
            return false;
        }
        optimizer.step();
        if (++GoodSteps >= GrowthInterval)
        {
            // Growing into float32's infinity would make every later step overflow: GradScaler keeps the scale then.
            double grown = Scale * GrowthFactor;
            if (double.IsFinite((float)grown)) Scale = grown;
            GoodSteps = 0;
        }
        return true;
    }
}
