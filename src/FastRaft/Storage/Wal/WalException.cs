namespace FastRaft.Storage.Wal;

/// <summary>The write-ahead log cannot be used: its files are damaged, locked, or a write to them failed.</summary>
public class WalException : IOException
{
    /// <summary>A write-ahead log failure described by <paramref name="message"/>.</summary>
    /// <param name="message">What failed, naming the file or directory.</param>
    public WalException(string message)
        : base(message)
    {
    }

    /// <summary>A write-ahead log failure described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    /// <param name="message">What failed, naming the file or directory.</param>
    /// <param name="inner">The I/O error behind it, or null.</param>
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
    /// <summary>Damage found at <paramref name="offset"/> of <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The damaged file.</param>
    /// <param name="offset">The byte offset in the file where the damage starts.</param>
    /// <param name="reason">What is wrong there (checksum mismatch, malformed record...).</param>
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
    /// <summary>The lock on <paramref name="directory"/> could not be taken.</summary>
    /// <param name="directory">The log's directory.</param>
    /// <param name="inner">The error from taking the lock file.</param>
    public WalLockedException(string directory, Exception inner)
        : base($"write-ahead log directory {directory} is locked by another process (or another WriteAheadLog in this one)", inner)
    {
        Directory = directory;
    }

    /// <summary>The log directory whose lock is held elsewhere.</summary>
    public string Directory { get; }
}
