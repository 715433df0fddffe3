using PneuKnow.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Data;

public class ExampleGridTests
{
    private sealed class FixedSet(IReadOnlyList<AnnotatedImage> items) : IAnnotatedImageSet
    {
        public int Count => items.Count;
        public IReadOnlyList<string> Classes { get; } = ["B", "C", "NB"];
        public int LabelOf(int index) => items[index].Label;
        public AnnotatedImage Get(int index) => items[index];
    }

    private static AnnotatedImage Item(int label, byte value) =>
        new(2, 3, Enumerable.Repeat(value, 6).ToArray(), Enumerable.Repeat((byte)(value + 1), 6).ToArray(), Enumerable.Repeat((byte)255, 6).ToArray(), label);

    [Fact]
    public void Rows_follow_class_codes_and_panels_are_image_roi_mask()
    {
        // Labels out of order; class 1 has no example, class 2 has three (only two shown).
        var set = new FixedSet([Item(2, 10), Item(0, 20), Item(2, 30), Item(2, 40), Item(0, 50)]);
        Assert.Equal([1, 4, 0, 2], ExampleGrid.Pick(set, 2));
        using var png = Image.Load<L8>(ExampleGrid.Png(set, perClass: 2, gap: 1));
        Assert.Equal((3 * 3 + 2, 4 * 2 + 3), (png.Width, png.Height));
        byte[] expectedRows = [20, 50, 10, 30];
        for (int r = 0; r < 4; r++)
        {
            int y = r * 3; // row height 2 plus a 1-pixel gap
            Assert.Equal(expectedRows[r], png[0, y].PackedValue);
            Assert.Equal(expectedRows[r] + 1, png[4, y].PackedValue);
            Assert.Equal(255, png[8, y + 1].PackedValue);
            Assert.Equal(96, png[3, y].PackedValue); // gap
        }
    }
}
