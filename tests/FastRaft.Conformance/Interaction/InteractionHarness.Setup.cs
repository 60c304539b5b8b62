using FastRaft.Core.Storage;
using FastRaft.Conformance.DataDriven;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Conformance.Interaction;

// add-nodes: creating nodes from an initial snapshot and a config template.
public sealed partial class InteractionHarness
{
    private string? AddNodes(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        int n = FirstAsInt(tc, args);
        var voters = new List<ulong>();
        var learners = new List<ulong>();
        ulong index = 0;
        byte[] content = [];
        var template = new RaftConfig
        {
            ElectionTick = 3,
            HeartbeatTick = 1,
            MaxSizePerMsg = ulong.MaxValue,
            MaxInflightMsgs = int.MaxValue,
        };
        for (int a = 1; a < args.Count; a++)
        {
            CmdArg arg = args[a];
            foreach (string v in arg.Vals)
            {
                switch (arg.Key)
                {
                    case "voters": voters.Add(ParseUlong(tc, v)); break;
                    case "learners": learners.Add(ParseUlong(tc, v)); break;
                    case "inflight": template = template with { MaxInflightMsgs = (int)ParseUlong(tc, v) }; break;
                    case "index":
                        index = ParseUlong(tc, v);
                        template = template with { Applied = index };
                        break;
                    case "content": content = System.Text.Encoding.UTF8.GetBytes(v); break;
                    case "async-storage-writes": template = template with { AsyncStorageWrites = ParseBool(tc, v) }; break;
                    case "prevote": template = template with { PreVote = ParseBool(tc, v) }; break;
                    case "checkquorum": template = template with { CheckQuorum = ParseBool(tc, v) }; break;
                    case "max-committed-size-per-ready": template = template with { MaxCommittedSizePerReady = ParseUlong(tc, v) }; break;
                    case "disable-conf-change-validation": template = template with { DisableConfChangeValidation = ParseBool(tc, v) }; break;
                    case "step-down-on-removal": template = template with { StepDownOnRemoval = ParseBool(tc, v) }; break;
                    case "read-only":
                        template = template with
                        {
                            ReadOnlyOption = v switch
                            {
                                "safe" => ReadOnlyOption.Safe,
                                "lease-based" => ReadOnlyOption.LeaseBased,
                                _ => throw new DataDrivenException(tc, $"invalid read-only option \"{v}\""),
                            },
                        };
                        break;
                }
            }
        }

        var cs = new ConfState { Voters = [.. voters], Learners = [.. learners] };
        bool bootstrap = index != 0 || voters.Count > 0 || learners.Count > 0 || content.Length > 0;
        var snap = new Snapshot(content, new SnapshotMetadata(cs, index, 0));
        for (int i = 0; i < n; i++)
        {
            ulong id = (ulong)(1 + _nodes.Count);
            int nodeIdx = _nodes.Count;
            var memory = new MemoryStorage();
            var storage = new HarnessStorage(memory, () => _nodes[nodeIdx].History[^1]);
            if (bootstrap)
            {
                // MemoryStorage needs a snapshot above index 1 to stand in for a bootstrap.
                if (index <= 1)
                {
                    return "index must be specified as > 1 due to bootstrap";
                }
                snap = snap with { Metadata = snap.Metadata with { Term = 1 } };
                var st = memory.ApplySnapshot(snap);
                if (st != FastRaft.Core.Storage.StorageStatus.Ok)
                {
                    return st.Describe();
                }
                ulong fi = memory.FirstIndex();
                if (fi != index + 1)
                {
                    return $"failed to establish first index {index + 1}; got {fi}";
                }
            }
            RaftConfig cfg = template with { Id = id, Storage = storage, Logger = _output };
            var rn = new RawNode(cfg);
            _nodes.Add(new HarnessNode(rn, storage, cfg, snap));
        }
        return null;
    }
}
