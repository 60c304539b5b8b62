namespace FastRaft.WalCrashChild;

/// <summary>
/// The payload of entry (index, term) in the crash test: derived from both, so the parent can
/// check every entry it reads back without knowing what the child wrote.
/// </summary>
public static class CrashPayload
{
    public static byte[] For(ulong index, ulong term)
    {
        byte[] data = new byte[8 + (int)((index * 7 + term) % 120)];
        for (int k = 0; k < data.Length; k++)
        {
            data[k] = (byte)(index * 131 + term * 17 + (ulong)k * 3 + 1);
        }
        return data;
    }

    public static bool Matches(ulong index, ulong term, ReadOnlySpan<byte> data) => data.SequenceEqual(For(index, term));
}
