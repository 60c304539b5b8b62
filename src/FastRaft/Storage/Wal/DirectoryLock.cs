namespace FastRaft.Storage.Wal;

/// <summary>
/// Exclusive ownership of a log directory: the file LOCK held open with
/// <see cref="FileShare.None"/> (an advisory flock on Unix, a share lock on Windows) for the
/// log's lifetime. The operating system drops it when the process dies, however it dies.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    public const string FileName = "LOCK";

    private readonly FileStream _stream;

    private DirectoryLock(FileStream stream) => _stream = stream;

    public static DirectoryLock Acquire(string directory)
    {
        string path = Path.Combine(directory, FileName);
        try
        {
            return new DirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new WalLockedException(directory, e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
