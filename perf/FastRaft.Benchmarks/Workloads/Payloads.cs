namespace FastRaft.Benchmarks.Workloads;

/// <summary>Deterministic, non-zero payloads (so a copy is really a copy).</summary>
public static class Payloads
{
    public static byte[] Make(int size)
    {
        var data = new byte[size];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 31 + 7);
        }
        return data;
    }
}
