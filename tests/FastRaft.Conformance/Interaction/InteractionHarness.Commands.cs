using System.Text;
using FastRaft.Conformance.DataDriven;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Conformance.Interaction;

// The single-node commands: propose, campaign, ticks, transfers, status printing.
public sealed partial class InteractionHarness
{
    private string? Propose(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        int idx = FirstAsNodeIndex(tc, args);
        if (args.Count != 2 || args[1].Vals.Count > 0)
        {
            throw new DataDrivenException(tc, "expected exactly one key with no vals");
        }
        StepResult r = _nodes[idx].RawNode.Propose(Encoding.UTF8.GetBytes(args[1].Key));
        return r == StepResult.Ok ? null : r.ErrorText();
    }

    private string? ProposeConfChange(TestCase tc)
    {
        int idx = FirstAsNodeIndex(tc, tc.CmdArgs);
        bool v1 = false;
        ConfChangeTransition transition = ConfChangeTransition.Auto;
        for (int a = 1; a < tc.CmdArgs.Count; a++)
        {
            CmdArg arg = tc.CmdArgs[a];
            foreach (string v in arg.Vals)
            {
                switch (arg.Key)
                {
                    case "v1":
                        v1 = ParseBool(tc, v);
                        break;
                    case "transition":
                        switch (v)
                        {
                            case "auto": transition = ConfChangeTransition.Auto; break;
                            case "implicit": transition = ConfChangeTransition.Implicit; break;
                            case "explicit": transition = ConfChangeTransition.Explicit; break;
                            default: return $"unknown transition {v}";
                        }
                        break;
                    default:
                        return $"unknown command {arg.Key}";
                }
            }
        }
        if (!ConfChangeText.TryParse(tc.Input, out ConfChangeSingle[] ccs, out string? parseError))
        {
            return parseError;
        }
        IConfChange c;
        if (v1)
        {
            if (ccs.Length > 1 || transition != ConfChangeTransition.Auto)
            {
                return "v1 conf change can only have one operation and no transition";
            }
            c = new ConfChange(ccs[0].Type, ccs[0].NodeId);
        }
        else
        {
            c = new ConfChangeV2 { Transition = transition, Changes = ccs };
        }
        StepResult r = _nodes[idx].RawNode.ProposeConfChange(c);
        return r == StepResult.Ok ? null : r.ErrorText();
    }

    private string? Campaign(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        int idx = FirstAsInt(tc, args) - 1;
        if (idx < 0 || idx >= _nodes.Count)
        {
            return $"node index {idx} out of range [0, {_nodes.Count})";
        }
        StepResult r = _nodes[idx].RawNode.Campaign();
        return r == StepResult.Ok ? null : r.ErrorText();
    }

    private string? Compact(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        int idx = FirstAsNodeIndex(tc, args);
        ulong newFirstIndex = ParseUlong(tc, args[1].Key);
        StorageStatus st = _nodes[idx].Storage.Inner.Compact(newFirstIndex);
        if (st != StorageStatus.Ok)
        {
            return st.Describe();
        }
        return RaftLog(idx);
    }

    private string? RaftLog(int idx)
    {
        var s = _nodes[idx].Storage.Inner;
        ulong fi = s.FirstIndex();
        ulong li = s.LastIndex();
        if (li < fi)
        {
            _output.Append($"log is empty: first index={fi}, last index={li}");
            return null;
        }
        var ents = new EntryBuffer();
        StorageStatus st = s.Entries(fi, li + 1, ulong.MaxValue, ents);
        if (st != StorageStatus.Ok)
        {
            return st.Describe();
        }
        _output.Append(Describe.Entries(ents.Span));
        return null;
    }

    private string? RaftState()
    {
        foreach (HarnessNode n in _nodes)
        {
            Status st = n.RawNode.Status();
            string voter = st.Config.Voters.Contains(st.Basic.Id) ? "(Voter)" : "(Non-Voter)";
            _output.Append($"{st.Basic.Id}: {Describe.Role(st.Basic.SoftState.Role)} {voter} Term:{st.Basic.HardState.Term} Lead:{st.Basic.SoftState.Lead}\n");
        }
        return null;
    }

    private string? Status(int idx)
    {
        Status st = _nodes[idx].RawNode.Status();
        if (st.Progress is not null)
        {
            _output.Append(st.Progress.ToString());
        }
        return null;
    }

    private string? SetRandomizedElectionTimeout(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        int idx = FirstAsNodeIndex(tc, args);
        string? v = tc.Value("timeout") ?? throw new DataDrivenException(tc, "missing timeout");
        int timeout = (int)ParseUlong(tc, v);
        if (timeout == 0)
        {
            throw new DataDrivenException(tc, "timeout must not be zero");
        }
        _nodes[idx].RawNode.SetRandomizedElectionTimeout(timeout);
        return null;
    }

    private string? Tick(TestCase tc, IReadOnlyList<CmdArg> args, bool election)
    {
        int idx = FirstAsNodeIndex(tc, args);
        HarnessNode n = _nodes[idx];
        int count = election ? n.Config.ElectionTick : n.Config.HeartbeatTick;
        for (int i = 0; i < count; i++)
        {
            n.RawNode.Tick();
        }
        return null;
    }

    private string? TransferLeadership(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        ulong from = ParseUlong(tc, tc.Value("from") ?? throw new DataDrivenException(tc, "missing from"));
        ulong to = ParseUlong(tc, tc.Value("to") ?? throw new DataDrivenException(tc, "missing to"));
        if (from == 0 || from > (ulong)_nodes.Count || to == 0 || to > (ulong)_nodes.Count)
        {
            throw new DataDrivenException(tc, "expected valid \"from\" and \"to\" arguments");
        }
        _nodes[(int)from - 1].RawNode.TransferLeader(to);
        return null;
    }

    private string? ForgetLeader(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        _nodes[FirstAsNodeIndex(tc, args)].RawNode.ForgetLeader();
        return null;
    }

    private string? ReportUnreachable(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        List<int> idxs = NodeIndexes(tc, args);
        if (idxs.Count != 2)
        {
            return "must specify exactly two node indexes: node on which to report, and reported node";
        }
        _nodes[idxs[0]].RawNode.ReportUnreachable(_nodes[idxs[1]].Config.Id);
        return null;
    }

    private string? SendSnapshot(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        List<int> idxs = NodeIndexes(tc, args);
        if (idxs.Count != 2)
        {
            throw new DataDrivenException(tc, "send-snapshot takes the source and the destination node");
        }
        HarnessNode from = _nodes[idxs[0]];
        StorageStatus st = from.Storage.Snapshot(out Snapshot snap);
        if (st != StorageStatus.Ok)
        {
            return st.Describe();
        }
        var m = new Message
        {
            Type = MessageType.Snapshot,
            Term = from.RawNode.BasicStatus().HardState.Term,
            From = (ulong)idxs[0] + 1,
            To = (ulong)idxs[1] + 1,
            Snapshot = snap,
        };
        _messages.Add(m);
        _output.Append(Describe.Message(m));
        return null;
    }
}
