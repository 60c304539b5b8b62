using System.Text;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Diagnostics;

public static partial class Describe
{
    /// <summary>
    /// <c>1->2 MsgApp Term:1 Log:1/10 Commit:10 Entries:[1/11 EntryNormal ""]</c>, with several
    /// entries one per indented line, a snapshot on its own line and storage responses nested
    /// and indented by two spaces per level, as etcd prints them.
    /// </summary>
    public static string Message(in Message m, EntryFormatter? f = null)
    {
        var sb = new StringBuilder();
        AppendMessage(sb, "", m, f);
        return sb.ToString();
    }

    internal static void AppendMessage(StringBuilder sb, string indent, in Message m, EntryFormatter? f)
    {
        sb.Append(indent).Append(Target(m.From)).Append("->").Append(Target(m.To)).Append(' ').Append(EtcdTypeText.Of(m.Type))
            .Append(" Term:").Append(m.Term).Append(" Log:").Append(m.LogTerm).Append('/').Append(m.Index);
        if (m.Reject)
        {
            sb.Append(" Rejected (Hint: ").Append(m.RejectHint).Append(')');
        }
        if (m.Commit != 0)
        {
            sb.Append(" Commit:").Append(m.Commit);
        }
        if (m.Vote != 0)
        {
            sb.Append(" Vote:").Append(m.Vote);
        }
        ReadOnlySpan<Entry> ents = m.Entries.Span;
        if (ents.Length == 1)
        {
            sb.Append(" Entries:[");
            AppendEntry(sb, ents[0], f);
            sb.Append(']');
        }
        else if (ents.Length > 1)
        {
            sb.Append(" Entries:[");
            foreach (ref readonly Entry e in ents)
            {
                sb.Append('\n').Append(indent).Append("  ");
                AppendEntry(sb, e, f);
            }
            sb.Append('\n').Append(indent).Append(']');
        }
        if (m.Snapshot is { IsEmpty: false } snap)
        {
            sb.Append('\n').Append(indent).Append("  Snapshot: ");
            AppendSnapshot(sb, snap);
        }
        ReadOnlySpan<Message> responses = m.Responses.Span;
        if (responses.Length > 0)
        {
            sb.Append(" Responses:[");
            string inner = indent + "  ";
            foreach (ref readonly Message r in responses)
            {
                sb.Append('\n');
                AppendMessage(sb, inner, r, f);
            }
            sb.Append('\n').Append(indent).Append(']');
        }
    }
}
