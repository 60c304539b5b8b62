using System.Diagnostics.CodeAnalysis;
using FastRaft.Core.Logging;

namespace FastRaft.Core.Tracker;

/// <summary>Out-of-line throws for the tracker's invariant violations (etcd panics).</summary>
internal static class TrackerThrow
{
    [DoesNotReturn]
    public static void Panic(string message) => throw new RaftPanicException(message);

    [DoesNotReturn]
    public static T Panic<T>(string message) => throw new RaftPanicException(message);

    [DoesNotReturn]
    public static void KeyNotFound(ulong id) => throw new KeyNotFoundException($"no progress for {id}");
}
