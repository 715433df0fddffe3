using static TorchSharp.torch;

namespace PneuKnow.Distillation;

/// <summary>
/// Hinton et al.'s logit distillation, the comparison method for HKD: the student matches the
/// teacher's temperature-softened class distribution,
/// <c>T² · KL(softmax(teacher / T) ‖ softmax(student / T))</c> averaged over the batch. The T²
/// factor keeps the gradient scale independent of the temperature.
/// </summary>
public static class LogitDistillation
{
    /// <summary>The distillation term for one batch of logits (N×K each).</summary>
    /// <param name="studentLogits">Student logits, N×K.</param>
    /// <param name="teacherLogits">Teacher logits, N×K (no gradient flows into them).</param>
    /// <param name="temperature">Softening temperature T &gt; 0 (Hinton et al. use 2–20; 4 is common).</param>
    /// <exception cref="ArgumentException">Shapes differ or the temperature is not positive.</exception>
    public static Tensor Loss(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentException($"kd_temperature: expected a positive number, found {temperature}.", nameof(temperature));
        if (!studentLogits.shape.SequenceEqual(teacherLogits.shape) || studentLogits.dim() != 2)
            throw new ArgumentException(
                $"logit distillation: expected two N×K logit tensors of the same shape, found student [{string.Join(", ", studentLogits.shape)}] " +
                $"and teacher [{string.Join(", ", teacherLogits.shape)}].");
        using var scope = NewDisposeScope();
        var logP = nn.functional.log_softmax(studentLogits.to(ScalarType.Float32) / temperature, 1);
        var logQ = nn.functional.log_softmax(teacherLogits.detach().to(ScalarType.Float32) / temperature, 1);
        // KL(q ‖ p) = Σ q (log q − log p), summed over classes and averaged over the batch ("batchmean").
        var kl = (logQ.exp() * (logQ - logP)).sum(1).mean();
        return (kl * (temperature * temperature)).MoveToOuterDisposeScope();
    }
}
