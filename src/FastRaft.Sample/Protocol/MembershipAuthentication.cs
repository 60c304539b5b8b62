using System.Security.Cryptography;

namespace FastRaft.Sample.Protocol;

/// <summary>
/// Membership requests are signed with a key derived from the cluster key (HMAC-SHA256), so only
/// someone holding the cluster key can change who is in the cluster, although the client port
/// itself is open to any order client. A timestamp in the signed bytes bounds replays to
/// <see cref="MaxClockSkew"/>; within it a node answers a repeated request id from its memory
/// instead of applying it again.
/// </summary>
public static class MembershipAuthentication
{
    /// <summary>Bytes of the MAC a signed request ends with.</summary>
    public const int MacSize = 32;

    /// <summary>How far a request's timestamp may be from the node's clock (either way).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(60);

    // Derived, so a membership MAC can never be confused with a Raft datagram's MAC under the same key.
    private static ReadOnlySpan<byte> Purpose => "FastRaft.Sample membership requests v1"u8;

    /// <summary>The signing key for membership requests of the cluster with <paramref name="clusterKey"/>.</summary>
    public static byte[] DeriveKey(byte[] clusterKey)
    {
        ArgumentNullException.ThrowIfNull(clusterKey);
        return HMACSHA256.HashData(clusterKey, Purpose);
    }

    public static byte[] Sign(byte[] key, ReadOnlySpan<byte> signed) => HMACSHA256.HashData(key, signed);

    /// <summary>Checks <paramref name="mac"/> over <paramref name="signed"/> in constant time.</summary>
    public static bool Verify(byte[] key, ReadOnlySpan<byte> signed, ReadOnlySpan<byte> mac)
    {
        if (mac.Length != MacSize)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[MacSize];
        HMACSHA256.HashData(key, signed, expected);
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>True when <paramref name="timestampMs"/> is within <see cref="MaxClockSkew"/> of <paramref name="now"/>.</summary>
    public static bool IsFresh(long timestampMs, DateTimeOffset now)
    {
        long skew = (long)MaxClockSkew.TotalMilliseconds;
        long nowMs = now.ToUnixTimeMilliseconds();
        return timestampMs >= nowMs - skew && timestampMs <= nowMs + skew;
    }
}
