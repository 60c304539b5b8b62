using System.Globalization;

namespace FastRaft.Simulation.Linearizability;

public enum KvOpKind : byte
{
    Put,
    Get,
    CompareAndSet,
}

/// <summary>
/// One client operation on one key as the history records it: invoked at <see cref="Call"/>,
/// answered at <see cref="Return"/>. An operation whose outcome the client never learned (it
/// gave up) has <see cref="Unknown"/> set and returns "at infinity", as Porcupine models it: it
/// may have taken effect at any point after its call, or not at all.
/// </summary>
public readonly record struct KvOperation(int Client, KvOpKind Kind, int Key, ulong Value, ulong Expected, ulong Output, long Call, long Return)
{
    public const long Never = long.MaxValue;

    public bool Unknown => Return == Never;

    public static KvOperation Put(int client, int key, ulong value, long call, long ret) =>
        new(client, KvOpKind.Put, key, value, 0, 0, call, ret);

    public static KvOperation Get(int client, int key, ulong observed, long call, long ret) =>
        new(client, KvOpKind.Get, key, 0, 0, observed, call, ret);

    public static KvOperation Cas(int client, int key, ulong expected, ulong value, bool swapped, long call, long ret) =>
        new(client, KvOpKind.CompareAndSet, key, value, expected, swapped ? 1UL : 0UL, call, ret);

    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string ret = Unknown ? "?" : Return.ToString(c);
        string what = Kind switch
        {
            KvOpKind.Put => string.Create(c, $"put(k{Key}, {Value})"),
            KvOpKind.Get => string.Create(c, $"get(k{Key}) -> {Output}"),
            _ => string.Create(c, $"cas(k{Key}, {Expected} => {Value}) -> {(Unknown ? "?" : Output == 1 ? "ok" : "fail")}"),
        };
        return string.Create(c, $"client {Client} [{Call}, {ret}] {what}");
    }
}
