using System.Globalization;
using System.Text;
using FastRaft.Core.Logging;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// Configuration changes and states in the single-line protobuf text form etcd's log lines
/// use (<c>transition:ConfChangeTransitionAuto changes:{type:ConfChangeAddNode node_id:3}</c>).
/// </summary>
internal static class ConfChangeLogText
{
    public static string Format(IConfChange cc)
    {
        var sb = new StringBuilder();
        if (cc.TryAsV1(out ConfChange v1))
        {
            if (v1.Id != 0)
            {
                Field(sb, "id", v1.Id.ToString(CultureInfo.InvariantCulture));
            }
            Field(sb, "type", EtcdTypeText.Of(v1.Type));
            Field(sb, "node_id", v1.NodeId.ToString(CultureInfo.InvariantCulture));
            if (!v1.Context.IsEmpty)
            {
                Field(sb, "context", Quote(v1.Context.Span));
            }
            return sb.ToString();
        }
        ConfChangeV2 v2 = cc.AsV2();
        Field(sb, "transition", EtcdTypeText.Of(v2.Transition));
        foreach (ConfChangeSingle c in v2.Changes)
        {
            Field(sb, "changes", $"{{type:{EtcdTypeText.Of(c.Type)} node_id:{c.NodeId.ToString(CultureInfo.InvariantCulture)}}}");
        }
        if (!v2.Context.IsEmpty)
        {
            Field(sb, "context", Quote(v2.Context.Span));
        }
        return sb.ToString();
    }

    public static string FormatConfState(ConfState cs)
    {
        var sb = new StringBuilder();
        Repeated(sb, "voters", cs.Voters);
        Repeated(sb, "learners", cs.Learners);
        Repeated(sb, "voters_outgoing", cs.VotersOutgoing);
        Repeated(sb, "learners_next", cs.LearnersNext);
        if (cs.AutoLeave)
        {
            Field(sb, "auto_leave", "true");
        }
        return sb.ToString();
    }

    private static void Repeated(StringBuilder sb, string name, ulong[] ids)
    {
        foreach (ulong id in ids)
        {
            Field(sb, name, id.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Field(StringBuilder sb, string name, string value)
    {
        if (sb.Length > 0)
        {
            sb.Append(' ');
        }
        sb.Append(name).Append(':').Append(value);
    }

    private static string Quote(ReadOnlySpan<byte> data) => GoQuotedText.Quote(data);
}
