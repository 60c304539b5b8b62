using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The durability primitives: a data-only sync of a file (fdatasync on Linux, where .NET's
/// <see cref="RandomAccess.FlushToDisk"/> is a full fsync) and a sync of a directory, which makes
/// file creations, renames and deletions in it durable (.NET cannot open a directory as a file).
/// </summary>
internal static class DurableIo
{
    private const int EINTR = 4;
    private const int ORdOnly = 0;

    // Cleared when libc cannot be called; the portable fallbacks are used from then on.
    private static bool s_useLibc = OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD();
    private static readonly bool s_syncDirectories = !OperatingSystem.IsWindows();

    /// <summary>Makes the file's written data durable (and the metadata needed to read it back).</summary>
    public static void SyncData(SafeFileHandle file)
    {
        if (s_useLibc)
        {
            try
            {
                SyncDataLibc(file);
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                s_useLibc = false;
            }
        }
        RandomAccess.FlushToDisk(file);
    }

    /// <summary>Makes the directory's entries (creations, renames, deletions) durable. A no-op on Windows.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!s_syncDirectories)
        {
            return;
        }
        try
        {
            SyncDirectoryLibc(directory);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to open a directory with: nothing portable can do it.
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the end of the file; returns the bytes read.</summary>
    public static int ReadAtMost(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    private static void SyncDataLibc(SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            while (Native.fdatasync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    ThrowErrno("fdatasync", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private static void SyncDirectoryLibc(string directory)
    {
        int fd = Native.open(directory, ORdOnly);
        if (fd < 0)
        {
            ThrowErrno($"open({directory})", Marshal.GetLastPInvokeError());
        }
        try
        {
            while (Native.fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    ThrowErrno($"fsync({directory})", errno);
                }
            }
        }
        finally
        {
            _ = Native.close(fd);
        }
    }

    [DoesNotReturn]
    private static void ThrowErrno(string call, int errno) =>
        throw new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int fdatasync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);
    }
}
