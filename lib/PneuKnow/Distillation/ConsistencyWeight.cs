namespace PneuKnow.Distillation;

/// <summary>
/// The weight a_e of the consistency term in epoch e of HKD training:
/// <c>a_e = 0.5 · (1 − e / kd_epochs)</c> while <c>e &lt; kd_epochs</c>, then 0, so the student
/// starts half guided by the teacher and ends on cross-entropy alone.
/// </summary>
public static class ConsistencyWeight
{
    /// <summary>The weight of epoch <paramref name="epoch"/> (0-based).</summary>
    /// <param name="epoch">Epoch index, 0-based as in the authors' code.</param>
    /// <param name="kdEpochs">Epochs during which the teacher guides the student (40 in the paper); 0 disables guidance.</param>
    /// <param name="initial">Weight at epoch 0 (0.5 in the paper).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch or kd_epochs, or an initial weight outside [0, 1].</exception>
    public static double At(int epoch, int kdEpochs, double initial = 0.5)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epoch: expected 0 or more.");
        if (kdEpochs < 0) throw new ArgumentOutOfRangeException(nameof(kdEpochs), kdEpochs, "kd_epochs: expected 0 or more.");
        if (initial is < 0 or > 1 || double.IsNaN(initial))
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "initial consistency weight: expected a value in [0, 1].");
        return epoch < kdEpochs ? initial * (1.0 - (double)epoch / kdEpochs) : 0.0;
    }
}
