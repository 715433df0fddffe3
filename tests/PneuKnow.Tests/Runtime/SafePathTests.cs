using PneuKnow.Runtime;

namespace PneuKnow.Tests.Runtime;

public sealed class SafePathTests
{
    [Theory]
    [InlineData("NB", "NB")]
    [InlineData("img_0001", "img_0001")]
    [InlineData("NB/../../../x", "NB_.._.._.._x")]
    [InlineData("No Lung Opacity / Not Normal", "No Lung Opacity _ Not Normal")]
    [InlineData("..", "_")]
    [InlineData("../x", "_x")]
    [InlineData("", "_")]
    [InlineData("a\\b:c*d?e", "a_b_c_d_e")]
    public void File_name_is_one_safe_segment(string name, string expected) =>
        Assert.Equal(expected, SafePath.FileName(name));

    [Fact]
    public void File_name_is_bounded() => Assert.Equal(SafePath.MaxLength, SafePath.FileName(new string('a', 300)).Length);

    [Fact]
    public void Under_accepts_paths_below_the_root_and_refuses_the_rest()
    {
        var root = Path.Combine(Path.GetTempPath(), "out");
        Assert.Equal(Path.Combine(root, "a", "b.png"), SafePath.Under(root, "a/b.png"));
        var e = Assert.Throws<IOException>(() => SafePath.Under(root, "x/../../y.png"));
        Assert.Contains($"expected a file under {root}", e.Message);
        Assert.Throws<IOException>(() => SafePath.Under(root, "/etc/passwd"));
        Assert.Throws<IOException>(() => SafePath.Under(root, root + "-sibling/z.png"));
    }
}
