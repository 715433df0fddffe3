using PneuKnow.Cli.Commands.Models;
using PneuKnow.Models;
using PneuKnow.Runtime;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

public class ModelsImportCommandTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("models-import-");

    public ModelsImportCommandTests() => TorchRuntime.Initialize("cpu");

    public void Dispose() => dir.Delete(true);

    static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        var app = new CommandApp();
        // Spectre reports validation errors through its own console, which would otherwise keep whatever writer it met first.
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(e) });
        app.Configure(c =>
        {
            c.ConfigureConsole(console);
            c.AddBranch("models", m => m.AddCommand<ModelsImportCommand>("import"));
        });
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = app.Run(["models", "import", .. args]);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    /// <summary>A resnet18 state dict with one tensor dropped, one foreign key and one tensor of another shape.</summary>
    string FlawedCheckpoint(out Dictionary<string, Tensor> source)
    {
        using var model = BackboneZoo.Create(new BackboneOptions("resnet18", 1000, Dropout: 0));
        source = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var flawed = new Dictionary<string, Tensor>(source);
        flawed.Remove("layer3.1.conv2.weight");
        flawed["aux_head.weight"] = zeros(3, 4);
        flawed["layer4.0.conv1.weight"] = zeros(7, 7);
        var path = Path.Combine(dir.FullName, "flawed.safetensors");
        StateDictFile.WriteSafetensors(path, flawed);
        return path;
    }

    [Fact]
    public void A_flawed_file_is_refused_naming_every_offending_key_and_nothing_is_written()
    {
        var file = FlawedCheckpoint(out _);
        var output = Path.Combine(dir.FullName, "store", "resnet18.safetensors");

        var (code, _, error) = Run("resnet18", file, "-o", output);

        Assert.Equal(1, code);
        Assert.Contains("missing in file: layer3.1.conv2.weight", error);
        Assert.Contains("unexpected in file: aux_head.weight", error);
        Assert.Contains("shape mismatch: layer4.0.conv1.weight: model [512, 256, 3, 3], file [7, 7]", error);
        Assert.Contains("1 missing, 1 unexpected, 1 shape-mismatched", error);
        Assert.Contains("--allow-partial", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Allow_partial_stores_the_fitting_tensors_and_reports_the_rest()
    {
        var file = FlawedCheckpoint(out var source);
        var output = Path.Combine(dir.FullName, "store", "resnet18.safetensors");

        var (code, stdout, _) = Run("resnet18", file, "-o", output, "--allow-partial");

        Assert.Equal(0, code);
        Assert.Contains("missing in file: layer3.1.conv2.weight", stdout);
        Assert.Contains("unexpected in file: aux_head.weight", stdout);
        Assert.Contains("shape mismatch: layer4.0.conv1.weight", stdout);
        Assert.Contains("PARTIAL", stdout);
        // Every tensor but the two flawed ones came from the file.
        Assert.Contains($"{source.Count - 2} tensors loaded", stdout);

        var stored = StateDictFile.Read(output, out var format);
        Assert.Equal("safetensors", format);
        Assert.Equal(source.Keys.Order(), stored.Keys.Order());
        Assert.True(stored["layer3.0.conv1.weight"].equal(source["layer3.0.conv1.weight"]).all().item<bool>());
        Assert.True(stored["fc.weight"].equal(source["fc.weight"]).all().item<bool>());
        // The flawed keys kept the fresh model's random initialisation, not the file's values.
        Assert.False(stored["layer3.1.conv2.weight"].equal(source["layer3.1.conv2.weight"]).all().item<bool>());
        Assert.False(stored["layer4.0.conv1.weight"].equal(source["layer4.0.conv1.weight"]).all().item<bool>());
        Assert.DoesNotContain("aux_head.weight", stored.Keys);
    }

    [Fact]
    public void An_unknown_architecture_is_refused_listing_the_valid_ones()
    {
        var (code, _, error) = Run("resnet19", Path.Combine(dir.FullName, "any.pth"));
        Assert.NotEqual(0, code);
        Assert.Contains("unknown 'resnet19'", error);
        Assert.Contains("resnet18, resnet50", error);
    }
}
