using System.Diagnostics.CodeAnalysis;
using FastRaft.Core.Storage;

namespace FastRaft.Core.Log;

// Invariant violations, kept out of line so the hot methods stay small. Texts are etcd's.
internal sealed partial class RaftLog
{
    [DoesNotReturn]
    private void PanicConflictWithCommitted(ulong ci) =>
        _logger.Panic($"entry {ci} conflict with committed entry [committed({Committed})]");

    [DoesNotReturn]
    private void PanicConflictOutOfRange(ulong at, int length) =>
        _logger.Panic($"index, {at}, is out of range [{length}]");

    [DoesNotReturn]
    private void PanicAppendBeforeCommitted(ulong after) =>
        _logger.Panic($"after({after}) is out of range [committed({Committed})]");

    [DoesNotReturn]
    private void PanicApplyingSize(ulong maxSize) =>
        _logger.Panic($"applying entry size ({_maxApplyingEntsSize}-{ApplyingEntsSize})={maxSize} not positive");

    [DoesNotReturn]
    private void PanicUnappliedEntries(StorageStatus status) =>
        _logger.Panic($"unexpected error when getting unapplied entries ({status.Describe()})");

    [DoesNotReturn]
    private void PanicCommitOutOfRange(ulong tocommit) =>
        _logger.Panic($"tocommit({tocommit}) is out of range [lastIndex({LastIndex()})]. Was the raft log corrupted, truncated, or lost?");

    [DoesNotReturn]
    private void PanicAppliedOutOfRange(ulong i) =>
        _logger.Panic($"applied({i}) is out of range [prevApplied({Applied}), committed({Committed})]");

    [DoesNotReturn]
    private void PanicApplyingOutOfRange(ulong i) =>
        _logger.Panic($"applying({i}) is out of range [prevApplying({Applying}), committed({Committed})]");

    [DoesNotReturn]
    private void PanicLastTerm(StorageStatus status) =>
        _logger.Panic($"unexpected error when getting the last term ({status.Describe()})");

    [DoesNotReturn]
    private void PanicUnexpected(StorageStatus status) => _logger.Panic($"unexpected error ({status.Describe()})");

    [DoesNotReturn]
    private void PanicStorageEntries(StorageStatus status, ulong lo, ulong hi)
    {
        if (status == StorageStatus.Unavailable)
        {
            _logger.Panic($"entries[{lo}:{hi}) is unavailable from storage");
        }
        PanicUnexpected(status);
    }

    [DoesNotReturn]
    private void PanicInvertedSlice(ulong lo, ulong hi) => _logger.Panic($"invalid slice {lo} > {hi}");

    [DoesNotReturn]
    private void PanicSliceOutOfBound(ulong lo, ulong hi, ulong fi) =>
        _logger.Panic($"slice[{lo},{hi}) out of bound [{fi},{LastIndex()}]");
}
