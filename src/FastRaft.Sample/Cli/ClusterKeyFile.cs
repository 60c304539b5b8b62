using System.Security.Cryptography;
using System.Text;
using FastRaft.Sample.Cluster;

namespace FastRaft.Sample.Cli;

/// <summary>
/// The sample's cluster key as text: 32 bytes written as 64 hex characters, in a file
/// (<c>--key-file</c>, made by <c>--gen-key</c>) or the <see cref="EnvironmentVariable"/>.
/// Whitespace around the hex (a trailing newline) is allowed; anything else is refused with what
/// is wrong, never echoing key material.
/// </summary>
public static class ClusterKeyFile
{
    /// <summary>The environment variable a node (or a membership client) reads the key from when no <c>--key-file</c> is given.</summary>
    public const string EnvironmentVariable = "FASTRAFT_CLUSTER_KEY";

    public const int KeySize = RaftSettings.ClusterKeySize;

    /// <summary>Hex characters of a key.</summary>
    public const int HexLength = 2 * KeySize;

    /// <summary>A key file is a line of hex; anything much larger is not one (and is not read whole).</summary>
    private const int MaxFileBytes = 4096;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Parses key text; <paramref name="problem"/> says what is wrong (without the key's characters).</summary>
    public static bool TryParse(string text, out byte[] key, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        key = [];
        ReadOnlySpan<char> hex = text.AsSpan().Trim();
        if (hex.IsEmpty)
        {
            problem = $"it is empty; expected {HexLength} hex characters (a {KeySize}-byte key, as --gen-key writes)";
            return false;
        }
        for (int i = 0; i < hex.Length; i++)
        {
            if (!char.IsAsciiHexDigit(hex[i]))
            {
                problem = char.IsWhiteSpace(hex[i])
                    ? $"whitespace at character {i + 1} inside the key; expected {HexLength} hex characters on one line"
                    : $"character {i + 1} is not a hex digit; expected {HexLength} hex characters (0-9, a-f)";
                return false;
            }
        }
        if (hex.Length != HexLength)
        {
            problem = $"{hex.Length} hex characters where a {KeySize}-byte key has {HexLength}";
            return false;
        }
        key = Convert.FromHexString(hex);
        problem = "";
        return true;
    }

    /// <summary>Reads a key file; <paramref name="error"/> names the file and what is wrong.</summary>
    public static bool TryRead(string path, out byte[] key, out string error)
    {
        ArgumentNullException.ThrowIfNull(path);
        key = [];
        string text;
        try
        {
            if (Directory.Exists(path))
            {
                error = $"key file {path}: it is a directory";
                return false;
            }
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            byte[] buffer = new byte[MaxFileBytes + 1];
            int n = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (n > MaxFileBytes)
            {
                error = $"key file {path}: larger than {MaxFileBytes} bytes, so not a key file ({HexLength} hex characters)";
                return false;
            }
            // Non-ASCII bytes become '?' and are then refused as not hex.
            text = Encoding.ASCII.GetString(buffer, 0, n);
            CryptographicOperations.ZeroMemory(buffer);
        }
        catch (FileNotFoundException)
        {
            error = $"key file {path}: not found (make one with --gen-key {path})";
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            error = $"key file {path}: not found (its directory does not exist)";
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            error = $"key file {path}: permission denied";
            return false;
        }
        catch (IOException e)
        {
            error = $"key file {path}: cannot read it ({e.Message})";
            return false;
        }
        if (!TryParse(text, out key, out string problem))
        {
            error = $"key file {path}: {problem}";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>On Unix: true, with a warning to print, when group or others may read or write the file.</summary>
    public static bool TryGetPermissionWarning(string path, out string warning)
    {
        warning = "";
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        if ((mode & GroupOrOthers) == 0)
        {
            return false;
        }
        warning = $"warning: key file {path} is accessible to group or others (mode {Octal(mode)}): anyone who can read it can join the cluster; chmod 600 {path}";
        return true;
    }

    /// <summary>
    /// Writes a new random key to <paramref name="path"/>, creating it readable and writable by
    /// its owner only (0600 on Unix). Never overwrites: an existing file is refused.
    /// </summary>
    public static bool TryCreate(string path, out string error)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        byte[] key = RandomNumberGenerator.GetBytes(KeySize);
        byte[] text = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key) + "\n");
        try
        {
            using var file = new FileStream(path, options);
            file.Write(text);
            file.Flush(flushToDisk: true);
            error = "";
            return true;
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path))
        {
            error = $"{path} exists: not overwritten (a key in use must not be replaced by accident; delete the file first to make a new key)";
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            error = $"cannot create {path}: its directory does not exist";
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            error = $"cannot create {path}: permission denied";
            return false;
        }
        catch (IOException e)
        {
            error = $"cannot create {path}: {e.Message}";
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(text);
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
