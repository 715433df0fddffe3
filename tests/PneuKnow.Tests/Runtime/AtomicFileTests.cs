using PneuKnow.Runtime;

namespace PneuKnow.Tests.Runtime;

public class AtomicFileTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("atomic-");

    public void Dispose() => dir.Delete(true);

    [Fact]
    public void Replacing_bytes_keeps_the_permission_bits_and_leaves_no_temporary_file()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(dir.FullName, "lib.so");
        File.WriteAllBytes(path, [1, 2, 3]);
        var executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        File.SetUnixFileMode(path, executable);

        AtomicFile.ReplaceAllBytes(path, [4, 5]);

        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
        Assert.Equal(executable, File.GetUnixFileMode(path));
        Assert.Equal(new[] { "lib.so" }, Directory.GetFiles(dir.FullName).Select(Path.GetFileName));
    }

    [Fact]
    public void Replacing_a_missing_file_names_it()
    {
        var path = Path.Combine(dir.FullName, "absent.so");
        var e = Assert.Throws<FileNotFoundException>(() => AtomicFile.ReplaceAllBytes(path, [1]));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_failing_writer_leaves_the_old_content_and_no_temporary_file()
    {
        var path = Path.Combine(dir.FullName, "state.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteStream(path, s =>
        {
            s.Write("new, half written"u8);
            throw new InvalidOperationException("interrupted");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.FullName));
    }

    [Fact]
    public void Copy_replaces_the_destination_with_the_source_bytes()
    {
        var source = Path.Combine(dir.FullName, "a.bin");
        var dest = Path.Combine(dir.FullName, "sub", "b.bin");
        File.WriteAllBytes(source, [9, 8, 7]);
        AtomicFile.WriteAllBytes(dest, [1]);
        AtomicFile.Copy(source, dest);
        Assert.Equal(new byte[] { 9, 8, 7 }, File.ReadAllBytes(dest));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(dest)!));
    }
}
