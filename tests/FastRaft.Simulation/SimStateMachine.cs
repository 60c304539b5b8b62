using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;

namespace FastRaft.Simulation;

/// <summary>
/// The key-value store behind an agent: applying an entry yields the command's result (a
/// compare-and-set's swap), which completes the proposal. Every call goes to the simulation,
/// which applies it to the node's <see cref="KvStore"/> and checks apply order and state machine
/// safety as it does.
/// </summary>
internal sealed class SimStateMachine(Simulation sim, SimNode node) : IStateMachine<bool>
{
    public void Apply(ReadOnlySpan<Entry> entries, Span<bool> results) => sim.ApplyEntries(node, entries, results);

    public void SaveSnapshot(Stream destination) => destination.Write(node.Kv.Encode());

    public void RestoreSnapshot(Stream source)
    {
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        sim.RestoreSnapshot(node, copy.ToArray());
    }

    public SnapshotValidationResult ValidateSnapshot(ReadOnlyMemory<byte> data)
    {
        try
        {
            KvStore.Decode(data.Span, node.Scenario.Keys, node.Scenario.Clients);
            return SnapshotValidationResult.Success;
        }
        catch (InvalidDataException e)
        {
            return SnapshotValidationResult.Fail(e.Message);
        }
    }

    public void OnMembershipChanged(ulong index, ConfState confState) => sim.MembershipApplied(node, index, confState);
}
