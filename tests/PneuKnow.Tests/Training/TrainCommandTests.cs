using PneuKnow.Cli.Commands.Training;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Training;

public class TrainCommandTests
{
    [Fact]
    public void A_config_with_an_unknown_key_exits_with_code_2_before_touching_data()
    {
        var dir = TrainingSetup.TempDir("cli");
        var path = Path.Combine(dir, "bad.txt");
        File.WriteAllText(path, "[settings]\nexperiment_name = x\nraw_data_dir = r\nroi_data_dir = r\nmetadata_file = m.csv\nmodel_dir = m\ncuda = 0\nrepeated_runs = 1\n" +
                                "[model]\nresolution = 32\nmodel_architecture = resnet18\ndropout_percent = 0.5\nepochs = 2\naugmentations = weak\nbatch_size = 4\nlr = 0.1\n");
        var app = new CommandApp();
        app.Configure(c => c.AddCommand<TrainCommand>("train"));
        Assert.Equal(2, app.Run(["train", path, "--device", "cpu"]));
    }
}
