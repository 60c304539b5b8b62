using System.Text;
using FastRaft.Protocol;

namespace FastRaft.Diagnostics;

public static partial class Describe
{
    /// <summary>
    /// <c>Ready MustSync=true:</c> followed by the soft state, hard state, read states, entries,
    /// snapshot, committed entries and messages that are present, one item per line; or
    /// <c>&lt;empty Ready&gt;</c> when there is nothing.
    /// </summary>
    public static string Ready(in FastRaft.Core.Ready rd, EntryFormatter? f = null)
    {
        var body = new StringBuilder();
        if (rd.SoftState is SoftState ss)
        {
            body.Append(SoftState(ss)).Append('\n');
        }
        if (!rd.HardState.IsEmpty)
        {
            body.Append("HardState ");
            AppendHardState(body, rd.HardState);
            body.Append('\n');
        }
        if (!rd.ReadStates.IsEmpty)
        {
            body.Append("ReadStates ");
            AppendReadStates(body, rd.ReadStates.Span);
            body.Append('\n');
        }
        if (!rd.Entries.IsEmpty)
        {
            body.Append("Entries:\n");
            AppendEntries(body, rd.Entries.First.Span, f);
            AppendEntries(body, rd.Entries.Second.Span, f);
        }
        if (rd.Snapshot is { IsEmpty: false } snap)
        {
            body.Append("Snapshot ");
            AppendSnapshot(body, snap);
            body.Append('\n');
        }
        if (!rd.CommittedEntries.IsEmpty)
        {
            body.Append("CommittedEntries:\n");
            AppendEntries(body, rd.CommittedEntries.Span, f);
        }
        if (!rd.Messages.IsEmpty)
        {
            body.Append("Messages:\n");
            foreach (ref readonly Message m in rd.Messages.Span)
            {
                AppendMessage(body, "", m, f);
                body.Append('\n');
            }
        }
        if (body.Length == 0)
        {
            return "<empty Ready>";
        }
        return (rd.MustSync ? "Ready MustSync=true:\n" : "Ready MustSync=false:\n") + body.ToString();
    }
}
