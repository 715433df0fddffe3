return await PneuKnow.Cli.CliApp.Create(args).RunAsync(args);
