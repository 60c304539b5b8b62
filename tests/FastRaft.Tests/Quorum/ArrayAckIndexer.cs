using FastRaft.Core.Quorum;

namespace FastRaft.Tests.Quorum;

/// <summary>Acked indexes for voters 1..n held in an array; 0 means "nothing acked".</summary>
internal sealed class ArrayAckIndexer(ulong[] acked) : IAckedIndexer
{
    public ulong[] Acked { get; } = acked;

    public bool AckedIndex(ulong voterId, out ulong index)
    {
        if (voterId >= 1 && voterId <= (ulong)Acked.Length && Acked[voterId - 1] != 0)
        {
            index = Acked[voterId - 1];
            return true;
        }
        index = 0;
        return false;
    }
}
