using PneuKnow.Data;

namespace PneuKnow.Tests.Data;

/// <summary>
/// The CSV module against expectations written out by hand: the examples of RFC 4180 section 2, the quoting rule, the
/// project's leniencies (trimmed unquoted fields, blank lines, a byte-order mark) and errors that name line and column.
/// </summary>
public sealed class CsvTests
{
    static string[][] Fields(string text) => Csv.Records(text, "t.csv").Select(r => r.Fields).ToArray();

    [Fact]
    public void Rfc_4180_examples_parse_to_the_fields_they_spell()
    {
        // RFC 4180 §2, rules 1–7, with the fields each example denotes written out.
        Assert.Equal([["aaa", "bbb", "ccc"], ["zzz", "yyy", "xxx"]], Fields("aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n"));
        Assert.Equal([["aaa", "bbb", "ccc"], ["zzz", "yyy", "xxx"]], Fields("aaa,bbb,ccc\r\nzzz,yyy,xxx"));
        Assert.Equal([["aaa", "bbb", "ccc"]], Fields("\"aaa\",\"bbb\",\"ccc\"\r\n"));
        Assert.Equal([["aaa", "b\r\nbb", "ccc"], ["zzz", "yyy", "xxx"]], Fields("\"aaa\",\"b\r\nbb\",\"ccc\"\r\nzzz,yyy,xxx"));
        Assert.Equal([["aaa", "b\"bb", "ccc"]], Fields("\"aaa\",\"b\"\"bb\",\"ccc\""));
        Assert.Equal([["a,b", "", "c"]], Fields("\"a,b\",,c\n"));
        Assert.Equal([["", ""]], Fields("\"\",\n"));
    }

    [Fact]
    public void Quote_quotes_only_what_must_be_quoted()
    {
        Assert.Equal("img0001.png", Csv.Quote("img0001.png"));
        Assert.Equal("accuracy: HKD student − baseline", Csv.Quote("accuracy: HKD student − baseline"));
        Assert.Equal("0.123456789", Csv.Quote("0.123456789"));
        Assert.Equal("", Csv.Quote(""));
        Assert.Equal("\"img,1.png\"", Csv.Quote("img,1.png"));
        Assert.Equal("\"say \"\"hi\"\"\"", Csv.Quote("say \"hi\""));
        Assert.Equal("\"two\nlines\"", Csv.Quote("two\nlines"));
        Assert.Equal("\"cr\rhere\"", Csv.Quote("cr\rhere"));
        // The reader trims unquoted fields, so edge white space must be quoted to survive.
        Assert.Equal("\" lead.png\"", Csv.Quote(" lead.png"));
        Assert.Equal("\"trail.png \"", Csv.Quote("trail.png "));
        Assert.Equal("in side.png", Csv.Quote("in side.png"));
    }

    [Fact]
    public void Writer_output_matches_hand_written_text_and_reads_back()
    {
        var w = new CsvWriter(["index", "file_name", "note"]);
        w.Row("0", "img,1.png", "plain");
        w.Row("1", "say \"hi\" ü.png", "two\nlines");
        w.Row("2", " lead.png", "");
        const string expected = "index,file_name,note\n0,\"img,1.png\",plain\n1,\"say \"\"hi\"\" ü.png\",\"two\nlines\"\n2,\" lead.png\",\n";
        Assert.Equal(expected, w.ToString());

        var t = Csv.Parse(expected, "w.csv");
        Assert.Equal(["index", "file_name", "note"], t.Header);
        Assert.Equal(["0", "img,1.png", "plain"], t.Rows[0].Fields);
        Assert.Equal(["1", "say \"hi\" ü.png", "two\nlines"], t.Rows[1].Fields);
        Assert.Equal(["2", " lead.png", ""], t.Rows[2].Fields);
        // Each row's line number is the line its first character is on: the quoted line break moves row 3 to line 5.
        Assert.Equal([2, 3, 5], t.Rows.Select(r => r.Line));
        Assert.Throws<ArgumentException>(() => w.Row("3", "too few"));
    }

    [Fact]
    public void Blank_lines_byte_order_mark_crlf_and_spaces_around_fields_are_tolerated()
    {
        var t = Csv.Parse("\uFEFFfile_name , class\r\n\r\n a.png , B \r\n\"b.png\" ,C\r\n   \r\n", "m.csv");
        Assert.Equal(["file_name", "class"], t.Header);
        Assert.Equal([(3, new[] { "a.png", "B" }), (4, new[] { "b.png", "C" })], t.Rows.Select(r => (r.Line, r.Fields)));
        Assert.Equal([["a", "b"], ["c", "d"]], Fields("a,b\rc,d\r"));
    }

    [Fact]
    public void Malformed_quoting_names_file_line_and_column()
    {
        var open = Assert.Throws<DataException>(() => Csv.Parse("file_name,class\na.png,B\n\"b.png,C\n", "m.csv"));
        Assert.Equal(("m.csv", 3, "file_name"), (open.File, open.Line, open.Column));
        Assert.Contains("expected a closing quote, found the end of the file", open.Message);

        var after = Assert.Throws<DataException>(() => Csv.Parse("file_name,class\n\"a.png\"x,B\n", "m.csv"));
        Assert.Equal((2, "file_name"), (after.Line, after.Column));
        Assert.Contains("found 'x'", after.Message);

        var inside = Assert.Throws<DataException>(() => Csv.Parse("file_name,class\na.png,B\nb.png,C\"D\n", "m.csv"));
        Assert.Equal((3, "class"), (inside.Line, inside.Column));
        Assert.Contains("must be quoted", inside.Message);

        // Before the header is known a field is named by its position.
        var header = Assert.Throws<DataException>(() => Csv.Parse("a,b\"c\n", "m.csv"));
        Assert.Equal((1, "field 2"), (header.Line, header.Column));

        Assert.Contains("found an empty file", Assert.Throws<DataException>(() => Csv.Parse("\n  \n", "m.csv")).Message);
        Assert.Contains("does not exist", Assert.Throws<DataException>(() => Csv.Read("/nonexistent/m.csv")).Message);
    }

    [Fact]
    public void Any_field_round_trips_through_writer_and_reader()
    {
        string[] tricky = ["", " ", "a", "a,b", "\"", "\"\"", "a\"b", " x ", "x\r\ny", "x\ny", "ü ö é", "日本語,", "tab\tin", ",", "\"quoted\""];
        var w = new CsvWriter(["k", "v"]);
        for (int i = 0; i < tricky.Length; i++) w.Row(i.ToString(System.Globalization.CultureInfo.InvariantCulture), tricky[i]);
        var t = Csv.Parse(w.ToString(), "rt.csv");
        Assert.Equal(tricky, t.Rows.Select(r => r.Fields[1]));
        Assert.All(t.Rows, r => Assert.Equal(2, r.Fields.Length));
    }

    [Fact]
    public void Save_writes_utf8_without_a_byte_order_mark_atomically()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pneuknow-csv-{Guid.NewGuid():N}.csv");
        try
        {
            Csv.Write(path, ["file_name"], [["ü,1.png"]]);
            Assert.Equal("file_name\n\"ü,1.png\"\n"u8.ToArray(), File.ReadAllBytes(path));
            Assert.Equal("ü,1.png", Csv.Read(path).Rows.Single().Fields.Single());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_gzip_compressed_copy_reads_as_the_file_both_are_refused_and_a_plain_save_supersedes_it()
    {
        var dir = Directory.CreateTempSubdirectory("pneuknow-csv-gz-");
        try
        {
            var path = Path.Combine(dir.FullName, "scores.csv");
            const string text = "file_name,score\n\"a,1.png\",0.5\nb.png,\n";
            // Compressed by gzip itself elsewhere; any gzip stream reads the same.
            using (var gz = new System.IO.Compression.GZipStream(File.Create(path + ".gz"), System.IO.Compression.CompressionLevel.SmallestSize))
                gz.Write(System.Text.Encoding.UTF8.GetBytes(text));
            Assert.False(File.Exists(path));
            Assert.Equal(path + ".gz", Csv.Locate(path));
            Assert.True(Csv.Exists(path));
            Assert.Equal(text, Csv.ReadAllText(path));
            var t = Csv.Read(path);
            Assert.Equal(["file_name", "score"], t.Header);
            Assert.Equal([["a,1.png", "0.5"], ["b.png", ""]], t.Rows.Select(r => r.Fields));

            // Both forms: which is current cannot be told, so the reader refuses, naming both.
            File.WriteAllText(path, text);
            var both = Assert.Throws<DataException>(() => Csv.Read(path));
            Assert.Contains(path + " and " + path + ".gz", both.Message);
            Assert.Throws<DataException>(() => Csv.Exists(path));

            // The engine writes plain files; writing one again removes the compressed copy it supersedes.
            Csv.Write(path, ["file_name", "score"], [["c.png", "1"]]);
            Assert.False(File.Exists(path + ".gz"));
            Assert.Equal(path, Csv.Locate(path));
            Assert.Equal("file_name,score\nc.png,1\n", File.ReadAllText(path));

            // Neither form, and a compressed copy that is not gzip: errors that name the file.
            File.Delete(path);
            Assert.Null(Csv.Locate(path));
            var none = Assert.Throws<DataException>(() => Csv.Read(path));
            Assert.Contains("scores.csv.gz", none.Message);
            File.WriteAllText(path + ".gz", text);
            var bad = Assert.Throws<DataException>(() => Csv.Read(path));
            Assert.StartsWith(path + ".gz: expected gzip-compressed CSV", bad.Message);
        }
        finally { dir.Delete(true); }
    }
}
