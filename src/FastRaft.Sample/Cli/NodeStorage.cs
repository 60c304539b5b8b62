using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cli;

/// <summary>
/// A node's storage, opened with its identity checked: a node's id is only as good as the term,
/// vote and log it remembers, so a node whose storage is empty starts only when told how
/// (<c>--init</c>: bootstrap a new cluster; <c>--join</c>: wait to be added as a new member), and a
/// node with a log simply resumes it. A node without <c>--data</c> has no durable identity: its
/// memory storage is always empty, so it always needs one of the two.
/// </summary>
internal sealed class NodeStorage : IDisposable
{
    private NodeStorage(IRaftStorage storage, bool empty, string description)
    {
        Storage = storage;
        IsEmpty = empty;
        Description = description;
    }

    public IRaftStorage Storage { get; }

    /// <summary>Nothing was stored yet: the node starts as <see cref="SampleOptions.Start"/> says.</summary>
    public bool IsEmpty { get; }

    /// <summary>For the node's first line.</summary>
    public string Description { get; }

    /// <summary>
    /// Opens the storage the options name, or refuses with a one-line <paramref name="error"/>
    /// saying what to do. Notes for the operator (a flag ignored) go to <paramref name="o"/>.
    /// </summary>
    /// <exception cref="IOException">The write-ahead log cannot be opened (damaged, locked, unreadable).</exception>
    public static bool TryOpen(SampleOptions options, ILogger logger, TextWriter o, out NodeStorage? storage, out string error)
    {
        storage = null;
        error = "";
        string flag = options.Start == NodeStart.Init ? "--init" : "--join";
        if (options.DataDirectory is not string dir)
        {
            if (options.Start == NodeStart.Existing)
            {
                error = "without --data a node keeps its log in memory and starts empty every time: pass --init to bootstrap a new cluster "
                    + "or --join to be added to a running one, and never restart it under the same id (use --data DIR for a node that can restart)";
                return false;
            }
            storage = new NodeStorage(new MemoryStorage(), empty: true, "in memory (forgotten when the node stops: never restart it under the same id)");
            return true;
        }
        if (File.Exists(dir))
        {
            error = $"--data {dir} is a file, not a directory";
            return false;
        }
        bool noFiles = !Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any();
        if (noFiles && options.Start == NodeStart.Existing)
        {
            error = EmptyError(dir, "is empty");
            return false;
        }
        WriteAheadLog wal = WriteAheadLog.Open(dir, new WalOptions { SegmentSize = 8 << 20, Logger = logger });
        bool blank = wal.LastIndex() == 0 && wal.HardState.IsEmpty && wal.Snapshot(out Snapshot snapshot) == StorageStatus.Ok && snapshot.IsEmpty;
        if (blank && options.Start == NodeStart.Existing)
        {
            // Files, but nothing in them (e.g. a first start that stopped before its first write).
            wal.Dispose();
            error = EmptyError(dir, "holds no log yet");
            return false;
        }
        if (!blank && options.Start != NodeStart.Existing)
        {
            o.WriteLine($"data directory {wal.Directory} holds this node's log: it is used, and {flag} is ignored");
        }
        string text = $"write-ahead log {wal.Directory} (recovered entries {wal.FirstIndex()}..{wal.LastIndex()}, term {wal.HardState.Term}, commit {wal.HardState.Commit})";
        storage = new NodeStorage(wal, blank, text);
        return true;
    }

    public void Dispose() => Storage.Dispose();

    private static string EmptyError(string dir, string state) =>
        $"data directory {dir} {state}: pass --init to bootstrap a new cluster, or --join to join a running one; "
        + "a node that lost its data must not rejoin under its old id";
}
