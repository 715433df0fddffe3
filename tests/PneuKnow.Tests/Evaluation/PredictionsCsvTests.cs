using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Analysis;
using PneuKnow.Evaluation;
using PneuKnow.Training;

namespace PneuKnow.Tests.Evaluation;

/// <summary>
/// The predictions file and the tables through the one CSV module: file names with a comma, a quote, spaces and
/// non-ASCII survive write → read (the manifest reader accepts them, so training can write them), plain names are
/// written exactly as before, and <see cref="TableFormat.WriteCsv"/> matches Microsoft.Data.Analysis' own writer, which
/// wrote the committed tables, wherever no cell needs RFC 4180 quoting beyond a comma.
/// </summary>
public sealed class PredictionsCsvTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"pneuknow-predcsv-{Guid.NewGuid():N}");

    public PredictionsCsvTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_file_name_with_a_comma_and_a_quote_round_trips()
    {
        string[] names = ["img,0001.png", "say \"hi\", 2.png", " lead and trail .png", "ünïcödé 日本.png", "plain.png"];
        var p = new Predictions(["B", "NB"], names.Select((n, i) => new PredictionRow(i, n, i % 2, 1 - i % 2, [0.25 + i / 10.0, 0.75 - i / 10.0])).ToList());
        var path = Path.Combine(dir, "predictions_test.csv");
        p.Write(path);

        // The text, written out by hand: quoted where RFC 4180 requires (and for edge spaces), plain otherwise.
        Assert.Equal(
            "index,file_name,label,predicted,B,NB\n" +
            "0,\"img,0001.png\",B,NB,0.25,0.75\n" +
            "1,\"say \"\"hi\"\", 2.png\",NB,B,0.35,0.65\n" +
            "2,\" lead and trail .png\",B,NB,0.45,0.55\n" +
            "3,ünïcödé 日本.png,NB,B,0.55,0.45\n" +
            "4,plain.png,B,NB,0.65,0.35\n",
            File.ReadAllText(path, Encoding.UTF8));

        var back = Predictions.Read(path);
        Assert.Equal(names, back.Rows.Select(r => r.FileName));
        Assert.Equal(p.Labels, back.Labels);
        Assert.Equal(p.Predicted, back.Predicted);
        Assert.Equal(p.Rows.Select(r => r.Probabilities), back.Rows.Select(r => r.Probabilities));
    }

    [Fact]
    public void Plain_names_are_written_as_before_and_a_broken_quote_is_named()
    {
        var p = new Predictions(["B", "C", "NB"], [new PredictionRow(0, "img0001.png", 2, 2, [0.0106110862, 0.00378200412, 0.977004647])]);
        var path = Path.Combine(dir, "predictions_valid.csv");
        p.Write(path);
        Assert.Equal("index,file_name,label,predicted,B,C,NB\n0,img0001.png,NB,NB,0.0106,0.0038,0.977\n", File.ReadAllText(path));

        File.WriteAllText(path, "index,file_name,label,predicted,B,C,NB\n0,\"img,0001.png,NB,NB,0.1,0.2,0.7\n");
        var ex = Assert.Throws<InvalidDataException>(() => Predictions.Read(path));
        Assert.Contains("line 2, column 'file_name'", ex.Message);
        Assert.Contains("closing quote", ex.Message);
    }

    [Fact]
    public void Probabilities_are_stored_to_4_decimals_and_the_prediction_is_the_argmax_of_the_unrounded_ones()
    {
        // Softmax-like rows from a seeded draw, and rows whose top two probabilities round to the same 4 decimals, the top one
        // second (a reader that took the arg-max of what it read would pick the first), or that round to 0 or 1.
        var rng = new Random(7);
        var rows = new List<double[]>();
        for (int i = 0; i < 400; i++)
        {
            var e = Enumerable.Range(0, 5).Select(_ => Math.Exp(8 * rng.NextDouble() - 4)).ToArray();
            rows.Add(e.Select(v => v / e.Sum()).ToArray());
        }
        rows.Add([0.49996, 0.50004]);
        rows.Add([0.33332, 0.333341, 0.333339]);
        rows.Add([0.00001, 0.99999]);
        rows.Add([0.00015, 0.99985]);   // 0.00015 is stored as 0.000149999…: 0.0001, where a 15-digit rounding first would give 0.0002
        static int ArgMax(double[] p) => Array.IndexOf(p, p.Max());
        var classes = new[] { "B", "C", "NB", "P", "V" };
        var path = Path.Combine(dir, "predictions_test.csv");
        var written = new Predictions(classes, rows.Select((p, i) => new PredictionRow(i, $"img{i}.png", i % p.Length, ArgMax(p),
            [.. p, .. new double[5 - p.Length]])).ToList());
        written.Write(path);

        var back = Predictions.Read(path);
        Assert.Equal(rows.Count, back.Rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(ArgMax(rows[i]), back.Rows[i].Predicted);
            for (int c = 0; c < rows[i].Length; c++)
                Assert.True(Math.Abs(back.Rows[i].Probabilities[c] - rows[i][c]) <= 5e-5 + 1e-15, $"row {i}, class {c}: {rows[i][c]:R} read back as {back.Rows[i].Probabilities[c]:R}");
        }
        // The tie rows really tie once rounded: the prediction could not have come from the file's probabilities.
        Assert.Equal(back.Rows[400].Probabilities[0], back.Rows[400].Probabilities[1]);
        Assert.Equal(1, back.Rows[400].Predicted);
        Assert.Equal(back.Rows[401].Probabilities[1], back.Rows[401].Probabilities[2]);
        Assert.Equal(1, back.Rows[401].Predicted);

        // The text: at most 4 decimals, no trailing zero, each field the exact value of its double rounded to 4 decimals.
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < rows.Count; i++)
        {
            var fields = lines[i + 1].Split(',')[4..];
            for (int c = 0; c < rows[i].Length; c++)
            {
                Assert.Matches(new Regex(@"^(0|1|0\.\d{0,3}[1-9])$"), fields[c]);
                Assert.Equal(ExactlyRounded(rows[i][c]), fields[c]);
            }
        }
        Assert.Equal("0.0001", lines[404].Split(',')[4]);
    }

    /// <summary>
    /// A non-negative double rounded to 4 decimals from its exact binary value (m·2^e, in integers), ties to even, trailing
    /// zeros dropped: the expectation, independent of .NET's formatting.
    /// </summary>
    static string ExactlyRounded(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent = 1; else mantissa |= 1L << 52;
        exponent -= 1075;
        BigInteger num = mantissa * (BigInteger)10000, den = BigInteger.One;
        if (exponent > 0) num <<= exponent; else den <<= -exponent;
        var q = BigInteger.DivRem(num, den, out var r);
        if (2 * r > den || (2 * r == den && !q.IsEven)) q += 1;
        var digits = q.ToString(CultureInfo.InvariantCulture).PadLeft(5, '0');
        var fraction = digits[^4..].TrimEnd('0');
        return fraction.Length == 0 ? digits[..^4] : digits[..^4] + "." + fraction;
    }

    [Fact]
    public void A_compressed_predictions_file_reads_as_the_plain_one_and_both_together_are_refused()
    {
        var p = new Predictions(["B", "NB"], [new PredictionRow(0, "a.png", 0, 0, [0.75, 0.25]), new PredictionRow(1, "b,1.png", 1, 1, [0.1, 0.9])]);
        var plain = Path.Combine(dir, "predictions_valid.csv");
        p.Write(plain);
        var expected = File.ReadAllText(plain);
        using (var gz = new GZipStream(File.Create(plain + ".gz"), CompressionLevel.SmallestSize))
            gz.Write(File.ReadAllBytes(plain));

        var both = Assert.Throws<InvalidDataException>(() => Predictions.Read(plain));
        Assert.Contains(plain, both.Message);
        Assert.Contains(plain + ".gz", both.Message);
        Assert.Throws<InvalidDataException>(() => RunFolders.ReadPredictions(dir, "valid"));

        File.Delete(plain);
        Assert.True(Predictions.Exists(plain));
        var back = RunFolders.ReadPredictions(dir, "valid");
        var again = Path.Combine(dir, "again.csv");
        back.Write(again);
        Assert.Equal(expected, File.ReadAllText(again));

        // Writing the plain file again supersedes the compressed copy, which would otherwise make the folder unreadable.
        p.Write(plain);
        Assert.False(File.Exists(plain + ".gz"));
        Assert.Equal(expected, File.ReadAllText(plain));

        // Asked for another split, the refusal lists the compressed file too.
        File.Move(plain, plain + "-moved");
        using (var gz = new GZipStream(File.Create(plain + ".gz"), CompressionLevel.Fastest)) gz.Write(Encoding.UTF8.GetBytes(expected));
        var missing = Assert.Throws<FileNotFoundException>(() => RunFolders.ReadPredictions(dir, "test"));
        Assert.Contains("predictions_valid.csv.gz", missing.Message);
    }

    [Fact]
    public void Table_csv_matches_the_data_frame_writer_that_wrote_the_committed_tables()
    {
        var table = new DataFrame(
            new StringDataFrameColumn("backbone", ["cntk_resnet18 · clean", "resnet18", "PneuKnow quick preset, phantom data"]),
            new DoubleDataFrameColumn("accuracy mean", [0.89149768765563853, double.NaN, 0.7825]),
            new DoubleDataFrameColumn("tiny", [1e-20, -0.1, 123456789.125]),
            new SingleDataFrameColumn("single", [0.1f, 2.5f, float.NaN]),
            new Int32DataFrameColumn("runs", [3, 0, -1]),
            new BooleanDataFrameColumn("primary", [true, false, true]));
        table.Columns["accuracy mean"][2] = null;

        var ours = Path.Combine(dir, "ours.csv");
        TableFormat.WriteCsv(table, ours);
        using var oracle = new MemoryStream();
        DataFrame.SaveCsv(table, oracle, ',', header: true, encoding: new UTF8Encoding(false), cultureInfo: System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Encoding.UTF8.GetString(oracle.ToArray()), File.ReadAllText(ours));

        // Where the two differ: a quote in a cell is doubled inside quotes, as RFC 4180 says.
        var quoted = new DataFrame(new StringDataFrameColumn("note", ["say \"hi\""]));
        TableFormat.WriteCsv(quoted, ours);
        Assert.Equal("note\n\"say \"\"hi\"\"\"\n", File.ReadAllText(ours));
    }
}
