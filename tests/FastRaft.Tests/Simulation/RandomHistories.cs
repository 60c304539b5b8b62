using FastRaft.Simulation.Linearizability;

namespace FastRaft.Tests.Simulation;

/// <summary>
/// Random client histories made by running the operations for real: each client issues one
/// operation at a time, each operation takes effect on a register at a random point inside its
/// interval, and its result is what the register said there. An operation of unknown outcome
/// (the client gave up) takes effect later or never. Such a history is linearizable by
/// construction; <see cref="Corrupt"/> then changes one result, which usually breaks it.
/// </summary>
internal static class RandomHistories
{
    public sealed record Shape(int Clients, int OpsPerClient, int Keys, int MaxDuration, double UnknownRate, int ValueDomain);

    public static List<KvOperation> Linearizable(Random rng, Shape shape)
    {
        var planned = new List<(KvOperation Op, long EffectAt)>();
        long nextValue = 1;
        for (int c = 0; c < shape.Clients; c++)
        {
            long t = rng.Next(shape.MaxDuration + 1);
            for (int i = 0; i < shape.OpsPerClient; i++)
            {
                long call = t, duration = rng.Next(shape.MaxDuration + 1);
                bool unknown = rng.NextDouble() < shape.UnknownRate;
                // Unknown: took effect within two durations of the call, or (long.MaxValue) never.
                long effectAt = !unknown ? call + rng.Next((int)duration + 1)
                    : rng.NextDouble() < 0.7 ? call + rng.Next(2 * (int)duration + 1) : long.MaxValue;
                int key = rng.Next(shape.Keys);
                ulong value = shape.ValueDomain == 0 ? (ulong)nextValue++ : (ulong)rng.Next(shape.ValueDomain);
                double kind = rng.NextDouble();
                KvOperation op = kind < 0.35 ? KvOperation.Put(c, key, value, call, unknown ? KvOperation.Never : call + duration)
                    : kind < 0.7 ? KvOperation.Get(c, key, 0, call, unknown ? KvOperation.Never : call + duration)
                    : KvOperation.Cas(c, key, 0, value, false, call, unknown ? KvOperation.Never : call + duration);
                planned.Add((op, effectAt));
                t = call + duration + rng.Next(4);
            }
        }
        // Run the operations in the order they take effect (ties: any order, they overlap).
        planned.Sort((a, b) => a.EffectAt.CompareTo(b.EffectAt));
        var state = new Dictionary<int, ulong>();
        var written = new List<ulong> { KvModel.Initial };
        var history = new List<KvOperation>(planned.Count);
        foreach ((KvOperation planOp, long effectAt) in planned)
        {
            KvOperation op = planOp;
            ulong now = state.GetValueOrDefault(op.Key);
            bool takesEffect = effectAt != long.MaxValue;
            switch (op.Kind)
            {
                case KvOpKind.Put:
                    if (takesEffect)
                    {
                        state[op.Key] = op.Value;
                    }
                    written.Add(op.Value);
                    break;
                case KvOpKind.Get:
                    // An unknown get reports nothing true; give it some value.
                    op = op with { Output = takesEffect && !op.Unknown ? now : written[rng.Next(written.Count)] };
                    break;
                default:
                    // Expect the current value half the time, so that swaps happen.
                    ulong expected = rng.NextDouble() < 0.5 ? now : written[rng.Next(written.Count)];
                    bool swaps = takesEffect && now == expected;
                    if (swaps)
                    {
                        state[op.Key] = op.Value;
                    }
                    written.Add(op.Value);
                    op = op with { Expected = expected, Output = swaps && !op.Unknown ? 1UL : 0UL };
                    break;
            }
            history.Add(op);
        }
        // Present the history in invocation order, as a recorder would.
        history.Sort((a, b) => a.Call.CompareTo(b.Call));
        return history;
    }

    /// <summary>Changes the result of one completed get or compare-and-set, if there is one.</summary>
    public static List<KvOperation> Corrupt(Random rng, List<KvOperation> history)
    {
        var known = new List<int>();
        for (int i = 0; i < history.Count; i++)
        {
            if (!history[i].Unknown && history[i].Kind != KvOpKind.Put)
            {
                known.Add(i);
            }
        }
        var corrupted = new List<KvOperation>(history);
        if (known.Count == 0)
        {
            return corrupted;
        }
        int at = known[rng.Next(known.Count)];
        KvOperation op = corrupted[at];
        if (op.Kind == KvOpKind.Get)
        {
            // Another value some operation of the history wrote (or the initial value).
            KvOperation other = history[rng.Next(history.Count)];
            ulong v = other.Kind == KvOpKind.Get || op.Output == other.Value ? KvModel.Initial : other.Value;
            corrupted[at] = op with { Output = v == op.Output ? v + 1 : v };
        }
        else
        {
            corrupted[at] = op with { Output = 1 - op.Output };
        }
        return corrupted;
    }
}
