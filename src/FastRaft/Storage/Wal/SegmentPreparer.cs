using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>
/// Produces the next segment's file ahead of time: <c>{sequence}.wal.tmp</c>, zero-filled to the
/// segment size and synced, so that writes into it change no file metadata (a data sync then
/// flushes only data) and a rollover only writes a header and renames. Runs on the thread pool
/// when background preparation is on; otherwise when the file is taken.
/// </summary>
internal sealed class SegmentPreparer(string directory, long segmentSize, bool background) : IDisposable
{
    private static readonly byte[] Zeros = new byte[256 * 1024];

    private Task<SafeFileHandle>? _pending;

    /// <summary>The size every prepared file is zero-filled to (recorded in the segment's header).</summary>
    public long SegmentSize => segmentSize;
    private long _pendingSequence;

    /// <summary>Starts preparing the file for segment <paramref name="sequence"/> (background mode only).</summary>
    public void Start(long sequence)
    {
        if (!background || _pending is not null)
        {
            return;
        }
        _pendingSequence = sequence;
        string path = TempPath(sequence);
        _pending = Task.Run(() => Prepare(path, segmentSize));
    }

    /// <summary>The prepared temporary file for segment <paramref name="sequence"/>, open for writing.</summary>
    public SafeFileHandle Take(long sequence, out string tempPath)
    {
        tempPath = TempPath(sequence);
        if (_pending is { } pending)
        {
            _pending = null;
            if (_pendingSequence == sequence)
            {
                return pending.GetAwaiter().GetResult();
            }
            Discard(pending, TempPath(_pendingSequence));
        }
        return Prepare(tempPath, segmentSize);
    }

    /// <summary>Waits for a preparation in progress and removes its file.</summary>
    public void Dispose()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            Discard(pending, TempPath(_pendingSequence));
        }
    }

    private string TempPath(long sequence) => Path.Combine(directory, SegmentFile.TempFileName(sequence));

    private static SafeFileHandle Prepare(string path, long size)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            for (long at = 0; at < size; at += Zeros.Length)
            {
                RandomAccess.Write(handle, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, size - at)), at);
            }
            DurableIo.SyncData(handle);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void Discard(Task<SafeFileHandle> pending, string path)
    {
        try
        {
            pending.GetAwaiter().GetResult().Dispose();
        }
        catch (IOException)
        {
            // The preparation failed; there is nothing to keep.
        }
        catch (UnauthorizedAccessException)
        {
        }
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left behind: the next open removes temporary files.
        }
    }
}
