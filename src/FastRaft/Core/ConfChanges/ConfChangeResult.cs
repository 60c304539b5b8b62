using System.Diagnostics.CodeAnalysis;
using FastRaft.Core.Tracker;

namespace FastRaft.Core.ConfChanges;

/// <summary>
/// The outcome of a configuration change: the new configuration and progress map to install,
/// or the reason (etcd's error text) why the change was refused.
/// </summary>
internal readonly record struct ConfChangeResult(TrackerConfig? Config, ProgressMap? Progress, string? Error)
{
    /// <summary>Whether the change was accepted: then <see cref="Config"/> and <see cref="Progress"/> are set; otherwise <see cref="Error"/> says why.</summary>
    [MemberNotNullWhen(true, nameof(Config), nameof(Progress))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Ok => Error is null;

    internal static ConfChangeResult Fail(string error) => new(null, null, error);
}
