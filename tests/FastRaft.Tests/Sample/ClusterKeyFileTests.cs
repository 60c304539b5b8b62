using FastRaft.Sample.Cli;

namespace FastRaft.Tests.Sample;

/// <summary>The cluster key as a file or environment text: what is accepted, what is refused and how.</summary>
public sealed class ClusterKeyFileTests : IDisposable
{
    private const string Hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

    private readonly string _dir = Directory.CreateTempSubdirectory("fastraft-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData(Hex)]
    [InlineData(Hex + "\n")]
    [InlineData("  \t" + Hex + "\r\n\n")]
    public void Sixty_four_hex_characters_with_whitespace_around_them_are_a_key(string text)
    {
        Assert.True(ClusterKeyFile.TryParse(text, out byte[] key, out string problem), problem);
        Assert.Equal(Convert.FromHexString(Hex), key);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   \n", "empty")]
    [InlineData("0011", "4 hex characters where a 32-byte key has 64")]
    [InlineData(Hex + "00", "66 hex characters")]
    [InlineData("00112233445566778899aabbccddeeff 00112233445566778899aabbccddeeff", "whitespace at character 33")]
    [InlineData("g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "character 1 is not a hex digit")]
    public void Anything_else_is_refused_saying_what_is_wrong_without_echoing_the_text(string text, string problemPart)
    {
        Assert.False(ClusterKeyFile.TryParse(text, out _, out string problem));
        Assert.Contains(problemPart, problem);
        Assert.DoesNotContain("0011223344", problem);
    }

    [Fact]
    public void A_key_file_is_read_and_every_bad_one_is_named_in_the_error()
    {
        string good = PathOf("good.key");
        File.WriteAllText(good, Hex + "\n");
        Assert.True(ClusterKeyFile.TryRead(good, out byte[] key, out string error), error);
        Assert.Equal(32, key.Length);

        string missing = PathOf("missing.key");
        Assert.False(ClusterKeyFile.TryRead(missing, out _, out error));
        Assert.Equal($"key file {missing}: not found (make one with --gen-key {missing})", error);

        Assert.False(ClusterKeyFile.TryRead(_dir, out _, out error));
        Assert.Equal($"key file {_dir}: it is a directory", error);

        string shortKey = PathOf("short.key");
        File.WriteAllText(shortKey, "abcd\n");
        Assert.False(ClusterKeyFile.TryRead(shortKey, out _, out error));
        Assert.Equal($"key file {shortKey}: 4 hex characters where a 32-byte key has 64", error);

        string binary = PathOf("binary.key");
        File.WriteAllBytes(binary, [0xFF, 0xFE, .. System.Text.Encoding.ASCII.GetBytes(Hex[2..])]);
        Assert.False(ClusterKeyFile.TryRead(binary, out _, out error));
        Assert.StartsWith($"key file {binary}: character 1 is not a hex digit", error);

        string huge = PathOf("huge.key");
        File.WriteAllBytes(huge, new byte[1 << 20]);
        Assert.False(ClusterKeyFile.TryRead(huge, out _, out error));
        Assert.StartsWith($"key file {huge}: larger than 4096 bytes", error);
    }

    [Fact]
    public void A_generated_key_file_is_owner_only_reads_back_and_is_never_overwritten()
    {
        string path = PathOf("cluster.key");
        Assert.True(ClusterKeyFile.TryCreate(path, out string error), error);
        string written = File.ReadAllText(path);
        Assert.Matches("^[0-9a-f]{64}\n$", written);
        Assert.True(ClusterKeyFile.TryRead(path, out byte[] key, out error), error);
        Assert.Equal(Convert.FromHexString(written.Trim()), key);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.False(ClusterKeyFile.TryGetPermissionWarning(path, out _));
        }

        Assert.False(ClusterKeyFile.TryCreate(path, out error));
        Assert.StartsWith($"{path} exists: not overwritten", error);
        Assert.Equal(written, File.ReadAllText(path));

        Assert.False(ClusterKeyFile.TryCreate(Path.Combine(_dir, "no-such-dir", "k"), out error));
        Assert.Contains("its directory does not exist", error);

        // A second key is a different key.
        Assert.True(ClusterKeyFile.TryCreate(PathOf("other.key"), out error), error);
        Assert.NotEqual(written, File.ReadAllText(PathOf("other.key")));
    }

    [Fact]
    public void A_key_file_others_can_read_draws_a_warning_naming_the_file_and_its_mode()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        string path = PathOf("open.key");
        File.WriteAllText(path, Hex);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.True(ClusterKeyFile.TryGetPermissionWarning(path, out string warning));
        Assert.Equal($"warning: key file {path} is accessible to group or others (mode 0644): anyone who can read it can join the cluster; chmod 600 {path}", warning);
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        Assert.False(ClusterKeyFile.TryGetPermissionWarning(path, out _));
    }
}
