using FastRaft.Conformance.DataDriven;
using FastRaft.Core;
using Microsoft.Extensions.Logging;
using FastRaft.Core.Storage;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Conformance.Interaction;

// Ready handling, message delivery, the storage threads and stabilize.
public sealed partial class InteractionHarness
{
    private string? ProcessReady(int idx)
    {
        HarnessNode n = _nodes[idx];
        Ready rd = n.RawNode.Ready();
        _output.Append(Describe.Ready(rd));

        if (!n.Config.AsyncStorageWrites)
        {
            string? err = ProcessAppend(n, rd.HardState, rd.Entries, rd.Snapshot);
            if (err is not null)
            {
                return err;
            }
            err = ProcessApply(n, rd.CommittedEntries.Span);
            if (err is not null)
            {
                return err;
            }
        }

        foreach (Message m in rd.Messages.Span)
        {
            Message owned = MessageCopy.Own(m);
            if (IsLocalTarget(m.To))
            {
                if (!n.Config.AsyncStorageWrites)
                {
                    throw new InvalidOperationException("unexpected local msg target");
                }
                switch (m.Type)
                {
                    case MessageType.StorageAppend: n.AppendWork.Add(owned); break;
                    case MessageType.StorageApply: n.ApplyWork.Add(owned); break;
                    default: throw new InvalidOperationException($"unexpected message type {m.Type}");
                }
            }
            else
            {
                _messages.Add(owned);
            }
        }

        if (!n.Config.AsyncStorageWrites)
        {
            n.RawNode.Advance();
        }
        n.Storage.Inner.AdvanceEpoch();
        return null;
    }

    private static bool IsLocalTarget(ulong id) => id is LocalIds.LocalAppendThread or LocalIds.LocalApplyThread;

    private static string? ProcessAppend(HarnessNode n, HardState hs, EntrySegments ents, Snapshot? snap)
    {
        var s = n.Storage.Inner;
        if (!hs.IsEmpty)
        {
            StorageStatus st = s.SetHardState(hs);
            if (st != StorageStatus.Ok)
            {
                return st.Describe();
            }
        }
        if (snap is not null && !snap.IsEmpty)
        {
            if (!ents.IsEmpty)
            {
                return "can't apply snapshot and entries at the same time";
            }
            StorageStatus st = s.ApplySnapshot(snap);
            return st == StorageStatus.Ok ? null : st.Describe();
        }
        // The pieces of one run, appended in order (the second cannot leave a gap after the first).
        StorageStatus appended = s.Append(ents.First.Span);
        if (appended == StorageStatus.Ok)
        {
            appended = s.Append(ents.Second.Span);
        }
        return appended == StorageStatus.Ok ? null : appended.Describe();
    }

    /// <summary>Applies entries to the harness's "appender" state machine, recording a snapshot per entry.</summary>
    private static string? ProcessApply(HarnessNode n, ReadOnlySpan<Entry> ents)
    {
        foreach (Entry ent in ents)
        {
            ReadOnlyMemory<byte> update;
            ConfState? cs = null;
            switch (ent.Type)
            {
                case EntryType.ConfChange:
                    if (!ConfChangeCodec.TryDecodeV1(ent.Data.Span, out ConfChange cc1, out string? e1))
                    {
                        return e1;
                    }
                    update = cc1.Context;
                    cs = n.RawNode.ApplyConfChange(cc1);
                    break;
                case EntryType.ConfChangeV2:
                    if (!ConfChangeCodec.TryDecodeV2(ent.Data.Span, out ConfChangeV2? cc2, out string? e2))
                    {
                        return e2;
                    }
                    cs = n.RawNode.ApplyConfChange(cc2);
                    update = cc2.Context;
                    break;
                default:
                    update = ent.Data;
                    break;
            }
            Snapshot last = n.History[^1];
            byte[] data = [.. last.Data.Span, .. update.Span];
            n.History.Add(new Snapshot(data, new SnapshotMetadata(cs ?? last.Metadata.ConfState, ent.Index, ent.Term)));
        }
        return null;
    }

    private string? ProcessAppendThread(int idx)
    {
        HarnessNode n = _nodes[idx];
        return ProcessThreadWork(n.AppendWork, "no append work to perform",
            m => ProcessAppend(n, new HardState(m.Term, m.Vote, m.Commit), m.Entries, m.Snapshot));
    }

    private string? ProcessApplyThread(int idx)
    {
        HarnessNode n = _nodes[idx];
        return ProcessThreadWork(n.ApplyWork, "no apply work to perform", m => ProcessApply(n, m.Entries.Span));
    }

    /// <summary>
    /// Runs the oldest message of a storage thread's queue: prints it, performs it, then
    /// releases its responses into the network (as etcd's append/apply threads do).
    /// </summary>
    private string? ProcessThreadWork(List<Message> work, string emptyText, Func<Message, string?> perform)
    {
        if (work.Count == 0)
        {
            _output.Append(emptyText);
            return null;
        }
        Message m = work[0];
        work.RemoveAt(0);
        ReadOnlyMemory<Message> resps = m.Responses;
        m.Responses = ReadOnlyMemory<Message>.Empty;
        _output.Append("Processing:\n");
        _output.Append(Describe.Message(m) + "\n");
        string? err = perform(m);
        if (err is not null)
        {
            return err;
        }
        _output.Append("Responses:\n");
        foreach (Message r in resps.Span)
        {
            _output.Append(Describe.Message(r) + "\n");
            _messages.Add(r);
        }
        return null;
    }

    private string? DeliverMsgsCommand(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        MessageType? type = null;
        var recipients = new List<(ulong Id, bool Drop)>();
        foreach (CmdArg arg in args)
        {
            if (arg.Vals.Count == 0)
            {
                recipients.Add((ParseUlong(tc, arg.Key), false));
            }
            foreach (string v in arg.Vals)
            {
                switch (arg.Key)
                {
                    case "drop":
                        ulong id = ParseUlong(tc, v);
                        if (recipients.Exists(r => r.Id == id))
                        {
                            throw new DataDrivenException(tc, $"can't both deliver and drop msgs to {id}");
                        }
                        recipients.Add((id, true));
                        break;
                    case "type":
                        type = EtcdTypeText.TryParseMessageType(v, out MessageType t) ? t : throw new DataDrivenException(tc, $"unknown message type {v}");
                        break;
                }
            }
        }
        if (DeliverMsgs(type, recipients) == 0)
        {
            _output.Append("no messages\n");
        }
        return null;
    }

    /// <summary>Delivers (or drops) the in-flight messages to each recipient, in order. Returns how many were handled.</summary>
    private int DeliverMsgs(MessageType? type, List<(ulong Id, bool Drop)> recipients)
    {
        int handled = 0;
        foreach ((ulong id, bool drop) in recipients)
        {
            List<Message> msgs = TakeMessages(id, type, drop);
            handled += msgs.Count;
            foreach (Message m in msgs)
            {
                if (drop)
                {
                    _output.Append("dropped: ");
                }
                _output.Append(Describe.Message(m) + "\n");
                if (drop)
                {
                    continue;
                }
                StepResult r = _nodes[(int)(m.To - 1)].RawNode.Step(m);
                if (r != StepResult.Ok)
                {
                    _output.Append(r.ErrorText() + "\n");
                }
            }
        }
        return handled;
    }

    /// <summary>Removes and returns the messages to <paramref name="to"/>; when dropping, local messages stay (they are reliable).</summary>
    private List<Message> TakeMessages(ulong to, MessageType? type, bool drop)
    {
        var taken = new List<Message>();
        var rest = new List<Message>(_messages.Count);
        foreach (Message m in _messages)
        {
            if (m.To == to && !(drop && IsReliable(m)) && (type is null || m.Type == type))
            {
                taken.Add(m);
            }
            else
            {
                rest.Add(m);
            }
        }
        _messages.Clear();
        _messages.AddRange(rest);
        return taken;
    }

    private bool HasMessagesFor(ulong to)
    {
        foreach (Message m in _messages)
        {
            if (m.To == to)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsReliable(in Message m) => m.From == m.To || IsLocalTarget(m.From) || IsLocalTarget(m.To);

    private string? StabilizeCommand(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        List<int> idxs = NodeIndexes(tc, args);
        LogLevel? restore = null;
        foreach (CmdArg arg in args)
        {
            if (arg.Key == "log-level" && arg.Vals.Count == 1)
            {
                restore ??= _output.Level;
                string? err = SetLogLevel(arg.Vals[0]);
                if (err is not null)
                {
                    return err;
                }
            }
        }
        try
        {
            return Stabilize(idxs);
        }
        finally
        {
            if (restore is LogLevel level)
            {
                _output.Level = level;
            }
        }
    }

    /// <summary>Handles Ready, delivers messages and runs the storage threads until nothing changes.</summary>
    private string? Stabilize(List<int> idxs)
    {
        if (idxs.Count == 0)
        {
            for (int i = 0; i < _nodes.Count; i++)
            {
                idxs.Add(i);
            }
        }
        while (true)
        {
            bool done = true;
            foreach (int idx in idxs)
            {
                if (_nodes[idx].RawNode.HasReady())
                {
                    _output.Append($"> {idx + 1} handling Ready\n");
                    string? err = null;
                    _output.WithIndent(() => err = ProcessReady(idx));
                    if (err is not null)
                    {
                        return err;
                    }
                    done = false;
                }
            }
            foreach (int idx in idxs)
            {
                ulong id = (ulong)idx + 1;
                if (HasMessagesFor(id))
                {
                    _output.Append($"> {id} receiving messages\n");
                    _output.WithIndent(() => DeliverMsgs(null, [(id, false)]));
                    done = false;
                }
            }
            foreach (int idx in idxs)
            {
                HarnessNode n = _nodes[idx];
                if (n.AppendWork.Count > 0)
                {
                    _output.Append($"> {idx + 1} processing append thread\n");
                    while (n.AppendWork.Count > 0)
                    {
                        string? err = null;
                        _output.WithIndent(() => err = ProcessAppendThread(idx));
                        if (err is not null)
                        {
                            return err;
                        }
                    }
                    done = false;
                }
            }
            foreach (int idx in idxs)
            {
                HarnessNode n = _nodes[idx];
                if (n.ApplyWork.Count > 0)
                {
                    _output.Append($"> {idx + 1} processing apply thread\n");
                    while (n.ApplyWork.Count > 0)
                    {
                        _output.WithIndent(() => ProcessApplyThread(idx));
                    }
                    done = false;
                }
            }
            if (done)
            {
                return null;
            }
        }
    }
}
