using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>One segment of the log on disk: <c>{sequence:x16}.wal</c>, its open handle, and where each group's log stood when it began.</summary>
internal sealed class SegmentFile(long sequence, string path, SafeFileHandle handle) : IDisposable
{
    public const string Extension = ".wal";
    public const string TempExtension = ".wal.tmp";

    public long Sequence { get; } = sequence;

    public string Path { get; } = path;

    public SafeFileHandle Handle { get; } = handle;

    /// <summary>
    /// Each group's last index when this segment was started (from its checkpoints). Once a
    /// group's log is compacted to or past it, none of its live entries is in an older segment;
    /// a group missing here wrote nothing before the segment began.
    /// </summary>
    public Dictionary<ulong, ulong> StartLastIndex { get; } = [];

    public static string FileName(long sequence) => sequence.ToString("x16", CultureInfo.InvariantCulture) + Extension;

    public static string TempFileName(long sequence) => sequence.ToString("x16", CultureInfo.InvariantCulture) + TempExtension;

    /// <summary>Parses a segment file name; false for any other name.</summary>
    public static bool TryParseName(string fileName, out long sequence)
    {
        sequence = 0;
        return fileName.Length == 16 + Extension.Length
            && fileName.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out sequence)
            && sequence > 0;
    }

    public void Dispose() => Handle.Dispose();
}
