using System.Globalization;
using System.Text;
using FastRaft.Protocol;

namespace FastRaft.Diagnostics;

/// <summary>
/// etcd raft's human-readable descriptions (util.go: DescribeHardState, DescribeMessage,
/// DescribeReady, ...), character for character, so traces and conformance scripts line up.
/// Diagnostics only: these allocate freely and never run on the hot path.
/// </summary>
public static partial class Describe
{
    /// <summary>A message endpoint: <c>None</c>, <c>AppendThread</c>, <c>ApplyThread</c> or the id in hex.</summary>
    public static string Target(ulong id) => id switch
    {
        LocalIds.None => "None",
        LocalIds.LocalAppendThread => "AppendThread",
        LocalIds.LocalApplyThread => "ApplyThread",
        _ => id.ToString("x", CultureInfo.InvariantCulture),
    };

    /// <summary><c>Term:2 Vote:1 Commit:5</c>; the vote is left out when there is none.</summary>
    public static string HardState(HardState hs)
    {
        var sb = new StringBuilder();
        AppendHardState(sb, hs);
        return sb.ToString();
    }

    /// <summary><c>Lead:1 State:StateLeader</c> (the leader id in decimal, as etcd prints it).</summary>
    public static string SoftState(SoftState ss) =>
        string.Create(CultureInfo.InvariantCulture, $"Lead:{ss.Lead} State:{Role(ss.Role)}");

    /// <summary><c>Voters:[1 2] VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false</c>.</summary>
    public static string ConfState(ConfState cs)
    {
        var sb = new StringBuilder();
        AppendConfState(sb, cs);
        return sb.ToString();
    }

    /// <summary><c>Index:4 Term:1 ConfState:Voters:[1 2] ...</c>.</summary>
    public static string Snapshot(Snapshot snap)
    {
        var sb = new StringBuilder();
        AppendSnapshot(sb, snap);
        return sb.ToString();
    }

    /// <summary>Go's <c>%v</c> of a ReadState slice: <c>[{5 [99 116 120]} {6 []}]</c>.</summary>
    public static string ReadStates(ReadOnlySpan<ReadState> states)
    {
        var sb = new StringBuilder();
        AppendReadStates(sb, states);
        return sb.ToString();
    }

    internal static void AppendHardState(StringBuilder sb, HardState hs)
    {
        sb.Append("Term:").Append(hs.Term);
        if (hs.Vote != 0)
        {
            sb.Append(" Vote:").Append(hs.Vote);
        }
        sb.Append(" Commit:").Append(hs.Commit);
    }

    internal static void AppendConfState(StringBuilder sb, ConfState cs)
    {
        sb.Append("Voters:");
        AppendIds(sb, cs.Voters);
        sb.Append(" VotersOutgoing:");
        AppendIds(sb, cs.VotersOutgoing);
        sb.Append(" Learners:");
        AppendIds(sb, cs.Learners);
        sb.Append(" LearnersNext:");
        AppendIds(sb, cs.LearnersNext);
        sb.Append(" AutoLeave:").Append(cs.AutoLeave ? "true" : "false");
    }

    internal static void AppendSnapshot(StringBuilder sb, Snapshot snap)
    {
        SnapshotMetadata m = snap.Metadata;
        sb.Append("Index:").Append(m.Index).Append(" Term:").Append(m.Term).Append(" ConfState:");
        AppendConfState(sb, m.ConfState);
    }

    internal static void AppendReadStates(StringBuilder sb, ReadOnlySpan<ReadState> states)
    {
        sb.Append('[');
        for (int i = 0; i < states.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append('{').Append(states[i].Index).Append(' ');
            AppendByteList(sb, states[i].RequestCtx.Span);
            sb.Append('}');
        }
        sb.Append(']');
    }

    // Go's %v of a []uint64: "[1 2 3]", "[]" when empty.
    private static void AppendIds(StringBuilder sb, ReadOnlySpan<ulong> ids)
    {
        sb.Append('[');
        for (int i = 0; i < ids.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(ids[i]);
        }
        sb.Append(']');
    }

    // Go's %v of a []byte: the byte values in decimal, "[104 105]".
    private static void AppendByteList(StringBuilder sb, ReadOnlySpan<byte> bytes)
    {
        sb.Append('[');
        for (int i = 0; i < bytes.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(bytes[i]);
        }
        sb.Append(']');
    }
}
