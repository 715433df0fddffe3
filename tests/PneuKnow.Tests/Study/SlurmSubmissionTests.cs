using PneuKnow.Study;
using PneuKnow.Tests.Notebooks;
using PneuKnow.Tests.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// The script of <c>pneuknow slurm</c>, submitted to a real Slurm (22.05 from Debian 12) on localhost: a shard
/// that fails keeps the merge from running, resubmitting only that shard lets it run, and the merged tables
/// equal an unsharded <c>reproduce</c>.
/// </summary>
// Two trainings run at once here (a Slurm task and the unsharded run, one thread each): nothing else should.
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class SlurmSubmissionTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("slurm-study-");
    public void Dispose() => _root.Delete(true);

    static string Repo => NotebookPaths.RepositoryRoot;
    static string Cli => Path.Combine(Repo, "lib", "PneuKnow.Cli", "bin", "Release", "net10.0", "PneuKnow.Cli.dll");

    [SlurmFact]
    public void Failed_shard_blocks_the_merge_and_its_resubmission_merges_tables_equal_to_an_unsharded_run()
    {
        Assert.True(File.Exists(Cli), $"expected the Release build of the CLI at {Cli} (the script runs it on the node); run `dotnet test -c Release`");
        string Dir(string name) => Path.Combine(_root.FullName, name);
        var study = Dir("study");
        using var cluster = SlurmCluster.Start(Dir("cluster"));

        // The README's command, for a CPU-only node: one core per task, so that both shards and the unsharded
        // run use one intra-op thread each and compute bit-identical numbers.
        var render = Shell.Run("dotnet", [Cli, "slurm", "--preset", "smoke", "--shards", "2", "--gpus-per-task", "0", "--cpus-per-task", "1",
            "--time", "00:15:00", "--repo", Repo, "--out", study, "--data", Dir("data")], TimeSpan.FromMinutes(1));
        Assert.True(render.Exit == 0, render.Output);
        var job = Dir("job.sbatch");
        File.WriteAllText(job, render.Stdout);

        // The injected failure: a file where shard 1's study folder belongs, so that its reproduce cannot write.
        Directory.CreateDirectory(study);
        File.WriteAllText(Path.Combine(study, "shard-1"), "blocks shard 1");
        var first = cluster.Submit(_root.FullName, job);
        // The unsharded reference trains meanwhile on the core shard 1 leaves free; all three generate the data at once.
        using var whole = Shell.Start("dotnet", [Cli, "reproduce", "--preset", "smoke", "--data", Dir("data"), "--device", "cpu",
            "--threads", "1", "--out", Dir("whole"), "--no-notebooks"], _root.FullName);
        string Logs() => string.Join("\n", Directory.Exists(Path.Combine(study, "logs"))
            ? Directory.GetFiles(Path.Combine(study, "logs")).Order().Select(f => $"--- {f}:\n{File.ReadAllText(f)}") : ["(no task logs)"]);
        cluster.WaitUntilIdle(TimeSpan.FromMinutes(6), Logs);

        var jobs = cluster.Jobs();
        var merges = jobs.Where(j => j.Value.Name == "pneuknow-smoke-merge").ToList();
        Assert.True(jobs.GetValueOrDefault($"{first}_0").State == "COMPLETED", $"shard 0:\n{string.Join('\n', jobs)}\n{Logs()}");
        Assert.Equal("FAILED", jobs[$"{first}_1"].State);
        // afterok on the array: one failed task and the merge is cancelled without running.
        Assert.Equal("CANCELLED", Assert.Single(merges).Value.State);
        Assert.False(Directory.Exists(Path.Combine(study, "merged")));
        // Every task logs under the study folder, by array index.
        Assert.Contains($"job {first}_0", File.ReadAllText(Path.Combine(study, SlurmScript.TaskLog(0))));
        Assert.Contains("shard 0/2 done", File.ReadAllText(Path.Combine(study, SlurmScript.TaskLog(0))));
        var failedLog = File.ReadAllText(Path.Combine(study, SlurmScript.TaskLog(1)));
        Assert.Contains($"job {first}_1", failedLog);
        Assert.Contains("error:", failedLog, StringComparison.OrdinalIgnoreCase); // the message of the exception that failed it
        Assert.DoesNotContain("shard 1/2 done", failedLog);
        // The job-completion record (what `sacct --completion` reads) names the failed task.
        var completion = File.ReadAllText(Path.Combine(cluster.Dir, "log", "jobcomp.txt"));
        Assert.Contains(completion.Split('\n'), l => l.Contains("JobState=FAILED") && l.Contains($"ArrayJobId={first} ArrayTaskId=1 "));

        // Recovery: clear the cause, resubmit only the failed index; the resubmission queues a fresh merge.
        File.Delete(Path.Combine(study, "shard-1"));
        var again = cluster.Submit(_root.FullName, "--array=1", job);
        cluster.WaitUntilIdle(TimeSpan.FromMinutes(6), Logs);
        jobs = cluster.Jobs();
        Assert.True(jobs.GetValueOrDefault($"{again}_1").State == "COMPLETED", $"resubmitted shard 1:\n{string.Join('\n', jobs)}\n{Logs()}");
        merges = jobs.Where(j => j.Value.Name == "pneuknow-smoke-merge").ToList();
        Assert.Equal(["CANCELLED", "COMPLETED"], merges.Select(m => m.Value.State).Order());
        Assert.True(Directory.Exists(Path.Combine(study, "merged", "tables")), Logs());
        Assert.Contains($"job {again}_1", File.ReadAllText(Path.Combine(study, SlurmScript.TaskLog(1))));

        var reference = whole.Wait(TimeSpan.FromMinutes(6));
        Assert.True(reference.Exit == 0, reference.Output);
        foreach (var table in new[] { "accuracy.csv", "class_scores.csv", "headline.md" })
            Assert.Equal(File.ReadAllText(Path.Combine(Dir("whole"), "tables", table)), File.ReadAllText(Path.Combine(study, "merged", "tables", table)));
    }
}
