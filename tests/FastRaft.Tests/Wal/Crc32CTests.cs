using System.Text;
using FastRaft.Storage.Wal;

namespace FastRaft.Tests.Wal;

public class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Known_vectors(string text, uint want)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        Assert.Equal(want, Crc32C.Compute(data));
        Assert.Equal(want, ~Crc32C.UpdateSoftware(~0u, data));
    }

    [Fact]
    public void Rfc3720_vectors()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void Hardware_and_table_agree_on_every_length_and_split()
    {
        var rng = new Random(5);
        byte[] data = new byte[300];
        rng.NextBytes(data);
        for (int n = 0; n <= data.Length; n++)
        {
            ReadOnlySpan<byte> d = data.AsSpan(0, n);
            uint whole = Crc32C.Compute(d);
            Assert.Equal(whole, ~Crc32C.UpdateSoftware(~0u, d));
            int split = n / 3;
            Assert.Equal(whole, ~Crc32C.Update(Crc32C.Update(~0u, d[..split]), d[split..]));
        }
    }
}
