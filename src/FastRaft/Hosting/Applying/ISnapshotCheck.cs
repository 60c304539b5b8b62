namespace FastRaft.Hosting.Applying;

/// <summary>Whether the state machine could restore a snapshot's data (asked before anything of it is stepped or persisted).</summary>
internal interface ISnapshotCheck
{
    SnapshotValidationResult Check(ReadOnlyMemory<byte> data);
}
