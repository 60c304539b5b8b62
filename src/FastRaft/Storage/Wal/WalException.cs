namespace FastRaft.Storage.Wal;

/// <summary>The write-ahead log cannot be used: its files are damaged, locked, or a write to them failed.</summary>
public class WalException : IOException
{
    public WalException(string message)
        : base(message)
    {
    }

    public WalException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The log's files hold something recovery must not skip: a checksum mismatch or malformed
/// record before the tail, a missing segment, a damaged snapshot. Names the file and the byte
/// offset; the log is not opened (and nothing in it is changed).
/// </summary>
public sealed class WalCorruptionException : WalException
{
    public WalCorruptionException(string filePath, long offset, string reason)
        : base($"write-ahead log corrupted: {reason} in {filePath} at offset {offset}")
    {
        FilePath = filePath;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }

    /// <summary>The byte offset in <see cref="FilePath"/> of the record (or header) that failed.</summary>
    public long Offset { get; }

    /// <summary>What is wrong there.</summary>
    public string Reason { get; }
}

/// <summary>Another <see cref="WriteAheadLog"/>, in this process or another, holds the directory's lock.</summary>
public sealed class WalLockedException : WalException
{
    public WalLockedException(string directory, Exception inner)
        : base($"write-ahead log directory {directory} is locked by another process (or another WriteAheadLog in this one)", inner)
    {
        Directory = directory;
    }

    public string Directory { get; }
}
