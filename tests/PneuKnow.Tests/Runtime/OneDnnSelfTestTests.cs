using PneuKnow.Runtime;

namespace PneuKnow.Tests.Runtime;

/// <summary>The decision, cache and child process of the oneDNN self-test that replaced the vendor rule.</summary>
public class OneDnnSelfTestTests
{
    static Func<OneDnnIsaRequest, OneDnnProbe> Probe(List<OneDnnIsaRequest> calls, params OneDnnIsaRequest[] agreeing) => level =>
    {
        calls.Add(level);
        return new OneDnnProbe(level, true, agreeing.Contains(level), agreeing.Contains(level) ? "agrees" : "3x3 c12 off by 0.3");
    };

    [Fact]
    public void A_disagreement_at_the_full_isa_caps_at_the_first_level_that_agrees()
    {
        var calls = new List<OneDnnIsaRequest>();
        var verdict = OneDnnSelfTest.Decide(Probe(calls, OneDnnIsaRequest.Avx2, OneDnnIsaRequest.Sse41));
        Assert.Equal("AVX2", verdict.Cap);
        Assert.Equal("self-test", verdict.Source);
        Assert.Equal([OneDnnIsaRequest.Full, OneDnnIsaRequest.Avx2], calls);
        Assert.Contains("ALL: 3x3 c12 off by 0.3", verdict.Detail);
        Assert.StartsWith("capped at AVX2", verdict.ToString());
    }

    [Fact]
    public void Agreement_at_the_full_isa_sets_no_cap_and_tests_nothing_else()
    {
        var calls = new List<OneDnnIsaRequest>();
        var verdict = OneDnnSelfTest.Decide(Probe(calls, OneDnnIsaRequest.Full, OneDnnIsaRequest.Avx2, OneDnnIsaRequest.Sse41));
        Assert.Equal("ALL", verdict.Cap);
        Assert.Equal([OneDnnIsaRequest.Full], calls);
        Assert.StartsWith("no cap", verdict.ToString());
    }

    [Fact]
    public void When_no_level_agrees_the_lowest_is_kept_and_said()
    {
        var verdict = OneDnnSelfTest.Decide(Probe([]));
        Assert.Equal("SSE41", verdict.Cap);
        Assert.Contains("no level agreed", verdict.Detail);
    }

    [Fact]
    public void A_probe_that_could_not_run_leaves_the_full_isa_but_after_a_disagreement_falls_to_the_lowest()
    {
        var first = OneDnnSelfTest.Decide(l => new OneDnnProbe(l, false, false, "not run: no dotnet host"));
        Assert.Null(first.Cap);
        Assert.Equal("not tested", first.Source);
        var second = OneDnnSelfTest.Decide(l => l == OneDnnIsaRequest.Full
            ? new OneDnnProbe(l, true, false, "the child crashed (exit code 136)")
            : new OneDnnProbe(l, false, false, "not run"));
        Assert.Equal("SSE41", second.Cap);
    }

    [Fact]
    public void The_verdict_is_cached_per_key_and_an_untested_one_is_not()
    {
        var folder = Directory.CreateTempSubdirectory("pneuknow-isa-").FullName;
        try
        {
            var calls = new List<OneDnnIsaRequest>();
            var key = OneDnnSelfTest.CacheKey("EPYC", "avx2 avx512f", "2.10.0", "libtorch_cpu.so 1 bytes");
            var tested = OneDnnSelfTest.Cached(folder, key, Probe(calls, OneDnnIsaRequest.Avx2));
            Assert.Equal("AVX2", tested.Cap);
            var cached = OneDnnSelfTest.Cached(folder, key, _ => throw new InvalidOperationException("must come from the cache"));
            Assert.Equal(("AVX2", "cache"), (cached.Cap, cached.Source));

            var otherFlags = OneDnnSelfTest.CacheKey("EPYC", "avx2", "2.10.0", "libtorch_cpu.so 1 bytes");
            var otherLibTorch = OneDnnSelfTest.CacheKey("EPYC", "avx2 avx512f", "2.11.0", "libtorch_cpu.so 1 bytes");
            Assert.Equal(3, new[] { key, otherFlags, otherLibTorch }.Distinct().Count());
            Assert.Equal("ALL", OneDnnSelfTest.Cached(folder, otherFlags, Probe(calls, OneDnnIsaRequest.Full)).Cap);

            var untestedKey = OneDnnSelfTest.CacheKey("x", "y", "z", "w");
            OneDnnSelfTest.Cached(folder, untestedKey, l => new OneDnnProbe(l, false, false, "not run"));
            Assert.Equal("self-test", OneDnnSelfTest.Cached(folder, untestedKey, Probe(calls, OneDnnIsaRequest.Full)).Source);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("auto", OneDnnIsaRequest.Auto)]
    [InlineData("FULL", OneDnnIsaRequest.Full)]
    [InlineData("avx512", OneDnnIsaRequest.Avx512)]
    [InlineData("avx2", OneDnnIsaRequest.Avx2)]
    [InlineData("sse4.1", OneDnnIsaRequest.Sse41)]
    public void Requests_parse(string text, OneDnnIsaRequest expected) =>
        Assert.Equal(expected, OneDnnIsa.Parse(text, "--onednn-isa"));

    [Fact]
    public void A_bad_request_names_the_valid_values_the_value_and_where()
    {
        var e = Assert.Throws<ArgumentException>(() => OneDnnIsa.Parse("avx1024", OneDnnIsa.RequestVariable));
        Assert.Contains("expected auto, full, avx512, avx2 or sse41", e.Message);
        Assert.Contains("'avx1024'", e.Message);
        Assert.Contains(OneDnnIsa.RequestVariable, e.Message);
    }

    [Fact]
    public void The_child_process_runs_every_check_and_agrees_at_sse41()
    {
        // SSE4.1 was right on every machine seen; this exercises the real child: dotnet host, libtorch load, checks, report.
        var report = TorchRuntime.Initialize("cpu");
        Assert.NotNull(OneDnnIsa.Current);
        var probe = OneDnnSelfTest.RunChild(Path.GetDirectoryName(report.LibTorchPath)!, OneDnnIsaRequest.Sse41);
        Assert.True(probe.Ran, probe.Summary);
        Assert.True(probe.Agrees, probe.Summary);
        Assert.Contains("6 checks agree", probe.Summary);
        Assert.Contains("DNN", probe.OneDnnVersion);
    }
}
