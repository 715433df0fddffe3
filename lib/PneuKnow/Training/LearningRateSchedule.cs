namespace PneuKnow.Training;

/// <summary>How the learning rate moves during training.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>
    /// The authors' schedule: <c>CosineAnnealingLR(T_max = epochs − 1)</c> stepped after every
    /// batch, so with ~100 batches per epoch the rate runs through many cosine half-periods
    /// (it oscillates between the base rate and 0). Kept for exact reproduction.
    /// </summary>
    Paper,
    /// <summary><c>CosineAnnealingLR(T_max = epochs)</c> stepped after every epoch: one smooth decay (our default).</summary>
    Cosine,
    /// <summary>The base rate throughout.</summary>
    Constant,
}

/// <summary>
/// A learning-rate schedule with torch's <c>CosineAnnealingLR</c> semantics reproduced exactly,
/// including its recursive update (which is what makes the per-batch "paper" schedule periodic
/// rather than clamped) and the special case at the troughs. All arithmetic is in double, as in Python.
/// </summary>
public sealed class LearningRateSchedule
{
    /// <summary>Which schedule.</summary>
    public LearningRateScheduleKind Kind { get; }

    /// <summary>The base (initial) learning rate.</summary>
    public double BaseRate { get; }

    /// <summary>The cosine period parameter T_max (0 for <see cref="LearningRateScheduleKind.Constant"/>).</summary>
    public int TMax { get; }

    /// <summary>The floor of the cosine (torch's <c>eta_min</c>).</summary>
    public double MinRate { get; }

    /// <summary>Scheduler steps taken so far (torch's <c>last_epoch</c>).</summary>
    public long Steps { get; private set; }

    /// <summary>The learning rate in effect now.</summary>
    public double Rate { get; private set; }

    /// <summary>Creates the schedule for a run of <paramref name="epochs"/> epochs.</summary>
    /// <param name="kind">Which schedule.</param>
    /// <param name="baseRate">Initial learning rate (the paper: 1e-4).</param>
    /// <param name="epochs">Epochs of the run.</param>
    /// <param name="minRate">torch's <c>eta_min</c> (the paper: 0).</param>
    /// <exception cref="ArgumentException">A non-positive rate, or the paper schedule with fewer than 2 epochs (T_max = epochs − 1 would be 0).</exception>
    public LearningRateSchedule(LearningRateScheduleKind kind, double baseRate, int epochs, double minRate = 0)
    {
        if (!(baseRate > 0) || double.IsInfinity(baseRate))
            throw new ArgumentException($"learning_rate: expected a positive number, found {baseRate}.", nameof(baseRate));
        if (!(minRate >= 0) || minRate > baseRate)
            throw new ArgumentException($"min learning rate: expected a value in [0, learning_rate = {baseRate}], found {minRate}.", nameof(minRate));
        if (epochs < 1) throw new ArgumentException($"epochs: expected at least 1, found {epochs}.", nameof(epochs));
        Kind = kind;
        BaseRate = baseRate;
        MinRate = minRate;
        TMax = kind switch
        {
            LearningRateScheduleKind.Paper => epochs - 1,
            LearningRateScheduleKind.Cosine => epochs,
            _ => 0,
        };
        if (kind == LearningRateScheduleKind.Paper && TMax < 1)
            throw new ArgumentException(
                $"epochs: the paper schedule is CosineAnnealingLR(T_max = epochs − 1) and needs at least 2 epochs, found {epochs}; use the cosine or constant schedule.",
                nameof(epochs));
        Rate = baseRate;
    }

    /// <summary>Call after every optimizer step (batch); moves the rate for <see cref="LearningRateScheduleKind.Paper"/>.</summary>
    public void AfterBatch()
    {
        if (Kind == LearningRateScheduleKind.Paper) Step();
    }

    /// <summary>Call after every epoch; moves the rate for <see cref="LearningRateScheduleKind.Cosine"/>.</summary>
    public void AfterEpoch()
    {
        if (Kind == LearningRateScheduleKind.Cosine) Step();
    }

    /// <summary>The state a resumed run needs.</summary>
    public (long Steps, double Rate) State => (Steps, Rate);

    /// <summary>Restores a state captured by <see cref="State"/>.</summary>
    public void Restore(long steps, double rate)
    {
        if (steps < 0 || !double.IsFinite(rate))
            throw new ArgumentException($"learning-rate schedule state: expected steps ≥ 0 and a finite rate, found {steps} and {rate}.");
        Steps = steps;
        Rate = rate;
    }

    /// <summary>torch's <c>CosineAnnealingLR.step()</c>: <c>last_epoch += 1</c>, then <c>get_lr()</c>.</summary>
    void Step()
    {
        Steps++;
        long t = Steps;
        double eta = MinRate, tMax = TMax;
        if (PythonMod(t - 1 - TMax, 2L * TMax) == 0)
            Rate = Rate + (BaseRate - eta) * (1 - Math.Cos(Math.PI / tMax)) / 2;
        else
            Rate = (1 + Math.Cos(Math.PI * t / tMax)) / (1 + Math.Cos(Math.PI * (t - 1) / tMax)) * (Rate - eta) + eta;
    }

    /// <summary>The closed form <c>eta_min + (base − eta_min)(1 + cos(π t / T_max)) / 2</c>, which the recursion tracks up to rounding.</summary>
    public static double ClosedForm(double baseRate, double minRate, int tMax, long t) =>
        minRate + (baseRate - minRate) * (1 + Math.Cos(Math.PI * t / tMax)) / 2;

    // Python's % takes the sign of the divisor; C#'s takes the dividend's.
    static long PythonMod(long a, long m) => ((a % m) + m) % m;
}
