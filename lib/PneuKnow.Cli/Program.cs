// One arena for the C heap before anything runs (MallocArenas says why); the process re-executes itself once to get it.
PneuKnow.Cli.MallocArenas.LimitToOne();
return await PneuKnow.Cli.CliApp.Create(args).RunAsync(args);
