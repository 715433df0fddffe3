return await PneuKnow.Cli.CliApp.Create().RunAsync(args);
