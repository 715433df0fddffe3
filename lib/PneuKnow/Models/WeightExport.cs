namespace PneuKnow.Models;

/// <summary>Saves backbones for PyTorch users.</summary>
public static class WeightExport
{
    /// <summary>
    /// Writes the model's state dict as safetensors with timm's names (the names PneuKnow's backbones use natively),
    /// so that <c>timm.create_model(arch, pretrained_cfg_overlay=dict(file=path))</c> or
    /// <c>model.load_state_dict(safetensors.torch.load_file(path))</c> reads it. Written atomically.
    /// </summary>
    public static void SaveSafetensors(Backbone model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        StateDictFile.WriteSafetensors(path, model.state_dict());
    }
}
