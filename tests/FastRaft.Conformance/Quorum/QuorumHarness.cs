using System.Globalization;
using System.Text;
using FastRaft.Conformance.DataDriven;
using FastRaft.Core.Quorum;

namespace FastRaft.Conformance.Quorum;

/// <summary>
/// Runs etcd's quorum scripts (<c>committed</c> and <c>vote</c>), printing what etcd's
/// quorum/datadriven_test.go prints, including its cross-checks, which only produce output
/// when an alternative computation disagrees.
/// </summary>
public sealed class QuorumHarness : IScriptHarness
{
    public string Execute(TestCase tc)
    {
        var ids = new List<ulong>();
        var idsj = new List<ulong>();
        var idxs = new List<ulong>();
        var votes = new List<ulong>();
        bool joint = false;
        foreach (CmdArg arg in tc.CmdArgs)
        {
            foreach (string val in arg.Vals)
            {
                switch (arg.Key)
                {
                    case "cfg":
                        ids.Add(ParseId(tc, val));
                        break;
                    case "cfgj":
                        joint = true;
                        if (val == "zero")
                        {
                            if (arg.Vals.Count != 1)
                            {
                                throw new DataDrivenException(tc, "cannot mix 'zero' into configuration");
                            }
                        }
                        else
                        {
                            idsj.Add(ParseId(tc, val));
                        }
                        break;
                    case "idx":
                        // "_" means "nothing known", which is why 0 itself is not allowed.
                        ulong n = val == "_" ? 0 : ParseId(tc, val);
                        if (val != "_" && n == 0)
                        {
                            throw new DataDrivenException(tc, "cannot use 0 as idx");
                        }
                        idxs.Add(n);
                        break;
                    case "votes":
                        votes.Add(val switch
                        {
                            "y" => 2UL,
                            "n" => 1UL,
                            "_" => 0UL,
                            _ => throw new DataDrivenException(tc, $"unknown vote: {val}"),
                        });
                        break;
                    default:
                        throw new DataDrivenException(tc, $"unknown arg {arg.Key}");
                }
            }
        }

        var c = new MajorityConfig();
        foreach (ulong id in ids)
        {
            c.Add(id);
        }
        var cj = new MajorityConfig();
        foreach (ulong id in idsj)
        {
            cj.Add(id);
        }

        List<ulong> input = tc.Cmd == "vote" ? votes : idxs;
        ulong[] voters = new JointConfig(c, cj).Ids();
        if (voters.Length != input.Count)
        {
            return $"error: mismatched input (explicit or _) for voters {GoMap(voters)}: {GoSlice(input)}";
        }

        return tc.Cmd switch
        {
            "committed" => Committed(joint, c, cj, MakeLookuper(idxs, ids, idsj)),
            "vote" => Vote(joint, c, cj, MakeLookuper(votes, ids, idsj)),
            _ => throw new DataDrivenException(tc, $"unknown command: {tc.Cmd}"),
        };
    }

    private static string Committed(bool joint, MajorityConfig c, MajorityConfig cj, MapAckIndexer l)
    {
        var buf = new StringBuilder();
        if (!joint)
        {
            ulong idx = c.CommittedIndex(l);
            buf.Append(c.Describe(l));
            if (AlternativeCommittedIndex(c, l) is var a && a != idx)
            {
                buf.Append($"{Index(a)} <-- via alternative computation\n");
            }
            if (new JointConfig(c, new MajorityConfig()).CommittedIndex(l) is var z && z != idx)
            {
                buf.Append($"{Index(z)} <-- via zero-joint quorum\n");
            }
            if (new JointConfig(c, c).CommittedIndex(l) is var s && s != idx)
            {
                buf.Append($"{Index(s)} <-- via self-joint quorum\n");
            }
            foreach (ulong id in c)
            {
                l.AckedIndex(id, out ulong iidx);
                if (idx > iidx && iidx > 0)
                {
                    // Lowering an index that was already below the committed index must not matter.
                    ulong lower = c.CommittedIndex(Overlay(c, l, id, iidx - 1));
                    if (lower != idx)
                    {
                        buf.Append(CultureInfo.InvariantCulture, $"{Index(lower)} <-- overlaying {id}->{iidx}");
                    }
                    ulong zero = c.CommittedIndex(Overlay(c, l, id, 0));
                    if (zero != idx)
                    {
                        buf.Append(CultureInfo.InvariantCulture, $"{Index(zero)} <-- overlaying {id}->0");
                    }
                }
            }
            buf.Append(Index(idx)).Append('\n');
        }
        else
        {
            var cc = new JointConfig(c, cj);
            buf.Append(cc.Describe(l));
            ulong idx = cc.CommittedIndex(l);
            ulong swapped = new JointConfig(cj, c).CommittedIndex(l);
            if (swapped != idx)
            {
                buf.Append($"{Index(swapped)} <-- via symmetry\n");
            }
            buf.Append(Index(idx)).Append('\n');
        }
        return buf.ToString();
    }

    private static string Vote(bool joint, MajorityConfig c, MajorityConfig cj, MapAckIndexer ll)
    {
        var votes = new Dictionary<ulong, bool>();
        foreach (KeyValuePair<ulong, ulong> kv in ll.Map)
        {
            votes[kv.Key] = kv.Value != 1; // 1 is a no, 2 a yes
        }
        if (!joint)
        {
            return $"{c.VoteResult(votes)}\n";
        }
        var buf = new StringBuilder();
        VoteResult r = new JointConfig(c, cj).VoteResult(votes);
        VoteResult swapped = new JointConfig(cj, c).VoteResult(votes);
        if (swapped != r)
        {
            buf.Append($"{swapped} <-- via symmetry\n");
        }
        buf.Append($"{r}\n");
        return buf.ToString();
    }

    /// <summary>
    /// Assigns the inputs to the voters in the order they are listed (cfg, then cfgj, each id
    /// once); zero inputs are placeholders and leave the voter out.
    /// </summary>
    private static MapAckIndexer MakeLookuper(List<ulong> inputs, List<ulong> ids, List<ulong> idsj)
    {
        var l = new MapAckIndexer();
        int p = 0;
        foreach (ulong id in ids.Concat(idsj))
        {
            if (l.Map.ContainsKey(id))
            {
                continue;
            }
            if (p < inputs.Count)
            {
                l.Map[id] = inputs[p];
                p++;
            }
        }
        foreach (ulong id in l.Map.Keys.ToList())
        {
            if (l.Map[id] == 0)
            {
                l.Map.Remove(id);
            }
        }
        return l;
    }

    private static MapAckIndexer Overlay(MajorityConfig c, IAckedIndexer l, ulong id, ulong idx)
    {
        var ll = new MapAckIndexer();
        foreach (ulong iid in c)
        {
            if (iid == id)
            {
                ll.Map[iid] = idx;
            }
            else if (l.AckedIndex(iid, out ulong v))
            {
                ll.Map[iid] = v;
            }
        }
        return ll;
    }

    /// <summary>The committed index by brute force: the largest acked index that a quorum has reached.</summary>
    private static ulong AlternativeCommittedIndex(MajorityConfig c, IAckedIndexer l)
    {
        if (c.Count == 0)
        {
            return ulong.MaxValue;
        }
        var acked = new List<ulong>();
        foreach (ulong id in c)
        {
            if (l.AckedIndex(id, out ulong idx))
            {
                acked.Add(idx);
            }
        }
        int q = c.Count / 2 + 1;
        ulong best = 0;
        foreach (ulong candidate in acked)
        {
            if (acked.Count(x => x >= candidate) >= q && candidate > best)
            {
                best = candidate;
            }
        }
        return best;
    }

    /// <summary>etcd's quorum.Index formatting: the empty config's "everything" prints as ∞.</summary>
    private static string Index(ulong idx) => idx == ulong.MaxValue ? "∞" : idx.ToString(CultureInfo.InvariantCulture);

    private static ulong ParseId(TestCase tc, string val) =>
        ulong.TryParse(val, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)
            ? n
            : throw new DataDrivenException(tc, $"not a number: {val}");

    private static string GoMap(ulong[] ids) => "map[" + string.Join(' ', ids.Select(id => $"{id}:{{}}")) + "]";

    private static string GoSlice(List<ulong> values) => "[" + string.Join(' ', values) + "]";

    private sealed class MapAckIndexer : IAckedIndexer
    {
        public Dictionary<ulong, ulong> Map { get; } = [];

        public bool AckedIndex(ulong voterId, out ulong index) => Map.TryGetValue(voterId, out index);
    }
}
