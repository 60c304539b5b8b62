namespace FastRaft.Core.Quorum;

/// <summary>Looks up the log index a voter has acknowledged (its match index).</summary>
internal interface IAckedIndexer
{
    /// <summary>The acknowledged index of <paramref name="voterId"/>, or false when nothing is known about it.</summary>
    bool AckedIndex(ulong voterId, out ulong index);
}
