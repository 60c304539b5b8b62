namespace FastRaft.Simulation;

/// <summary>64-bit FNV-1a: a stable hash for entry payloads and state images (no per-process seed).</summary>
public static class Fnv
{
    public const ulong Offset = 0xcbf29ce484222325UL;
    private const ulong Prime = 0x100000001b3UL;

    public static ulong Hash(ReadOnlySpan<byte> data, ulong h = Offset)
    {
        foreach (byte b in data)
        {
            h = (h ^ b) * Prime;
        }
        return h;
    }

    public static ulong Mix(ulong h, ulong v)
    {
        for (int i = 0; i < 8; i++)
        {
            h = (h ^ (byte)(v >> (8 * i))) * Prime;
        }
        return h;
    }
}
