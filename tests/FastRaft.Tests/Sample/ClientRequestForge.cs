using System.Buffers;
using System.Net;
using FastRaft.Sample.Client;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;

namespace FastRaft.Tests.Sample;

/// <summary>Valid client-protocol requests and replies, and seeded mutations of them, for fuzzing the parsers.</summary>
internal sealed class ClientRequestForge(int seed)
{
    /// <summary>Membership requests carry this timestamp, so a seed gives the same bytes on every run.</summary>
    private const long Timestamp = 1_750_000_000_000;

    /// <summary>First bytes of MessagePack fields that carry a length or a count (bin, str, array).</summary>
    private static readonly byte[] LengthCodes = [0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xdc, 0xdd];

    /// <summary>Lengths a header may claim: 0, huge, the sign bit (the original crash), all ones.</summary>
    private static readonly uint[] ExtremeLengths = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 0xFFFF, 0x1_0000, 0xFF];

    private readonly Random _random = new(seed);
    private readonly byte[] _otherKey = MembershipAuthentication.DeriveKey([.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))]);

    public Random Random => _random;

    /// <summary>A valid request of a random kind (membership ones signed with a key no cluster has, or unsigned).</summary>
    public byte[] ValidRequest()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        ulong requestId = (ulong)_random.NextInt64();
        switch (_random.Next(4))
        {
            case 0:
            case 1:
                ClientProtocol.WriteSubmit(buffer, requestId, CommandCodec.Encode(RandomCommand()));
                break;
            case 2:
                ulong[] ids = [.. Enumerable.Range(0, _random.Next(6)).Select(_ => (ulong)_random.NextInt64())];
                ClientProtocol.WriteQuery(buffer, requestId, ids);
                break;
            default:
                var op = (MembershipOp)_random.Next(1, 4);
                IPEndPoint? address = op == MembershipOp.AddLearner
                    ? new IPEndPoint(_random.Next(2) == 0 ? IPAddress.Loopback : IPAddress.IPv6Loopback, _random.Next(1, 65536))
                    : null;
                ClientProtocol.WriteMembership(buffer, requestId, op, (ulong)_random.Next(1, 10), address,
                    Timestamp, _random.Next(2) == 0 ? _otherKey : null);
                break;
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A valid reply of a random kind.</summary>
    public byte[] ValidReply()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        ulong requestId = (ulong)_random.NextInt64();
        switch (_random.Next(3))
        {
            case 0:
                var result = new CommandResult((ResultCode)_random.Next(4), (RejectReason)_random.Next(8), (ulong)_random.NextInt64(), _random.Next(), _random.Next(), _random.Next(), _random.Next(10), _random.Next(2) == 0);
                ClientProtocol.WriteSubmitReply(buffer, new SubmitReply(requestId, 1, (SubmitStatus)_random.Next(5), 2, 3, 4, result,
                    _random.Next(2) == 0 ? null : new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 7_000 + _random.Next(1000))));
                break;
            case 1:
                ClientState[] clients = [.. Enumerable.Range(0, _random.Next(4)).Select(i => new ClientState((ulong)i + 1, (ulong)_random.Next(), _random.Next()))];
                ClientProtocol.WriteQueryReply(buffer, requestId, new ReplicaState(1, "leader", 3, 1, 99, 98, new byte[32], default, 5, clients));
                break;
            default:
                ClientProtocol.WriteMembershipReply(buffer, new MembershipReply(requestId, 1, (MembershipStatus)_random.Next(6), 1, 40, [1, 2, 3], [4], "detail"));
                break;
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <paramref name="valid"/> mutated one of several ways: bit flips, a truncation, noise,
    /// a length or count header set to an extreme, trailing bytes, a splice, pure noise; or left valid.
    /// </summary>
    public byte[] Mutate(byte[] valid)
    {
        byte[] d = (byte[])valid.Clone();
        switch (_random.Next(9))
        {
            case 0:
                for (int k = _random.Next(1, 4); k > 0; k--)
                {
                    d[_random.Next(d.Length)] ^= (byte)(1 << _random.Next(8));
                }
                return d;
            case 1:
                return d[.._random.Next(d.Length)];
            case 2:
                int start = _random.Next(d.Length);
                _random.NextBytes(d.AsSpan(start, Math.Min(d.Length - start, _random.Next(1, 8))));
                return d;
            case 3:
                return ExtremeExistingLength(d);
            case 4:
                return ExtremeHeaderAt(d, _random.Next(d.Length));
            case 5:
                byte[] tail = new byte[_random.Next(1, 8)];
                _random.NextBytes(tail);
                return [.. d, .. tail];
            case 6:
                byte[] other = ValidRequest();
                return [.. d[.._random.Next(d.Length)], .. other[_random.Next(other.Length)..]];
            case 7:
                byte[] noise = new byte[_random.Next(0, 64)];
                _random.NextBytes(noise);
                return noise;
            default:
                return d;
        }
    }

    private OrderCommand RandomCommand() => _random.Next(3) switch
    {
        0 => OrderCommand.Limit((ulong)_random.NextInt64(1, long.MaxValue), (ulong)_random.Next(1, 1000), _random.Next(1, 4), (Side)_random.Next(1, 3), _random.Next(1, 20_000), _random.Next(1, 100)),
        1 => OrderCommand.Market((ulong)_random.NextInt64(1, long.MaxValue), (ulong)_random.Next(1, 1000), _random.Next(1, 4), (Side)_random.Next(1, 3), _random.Next(1, 100)),
        _ => OrderCommand.Cancel((ulong)_random.NextInt64(1, long.MaxValue), (ulong)_random.Next(1, 1000), _random.Next(1, 4), (ulong)_random.NextInt64()),
    };

    /// <summary>Finds a length or count header in the datagram (or makes the first array one) and sets its value to an extreme.</summary>
    private byte[] ExtremeExistingLength(byte[] d)
    {
        var positions = new List<int>();
        for (int i = 0; i < d.Length; i++)
        {
            if (Array.IndexOf(LengthCodes, d[i]) >= 0 || d[i] is >= 0x90 and <= 0x9f)
            {
                positions.Add(i);
            }
        }
        return positions.Count == 0 ? ExtremeHeaderAt(d, 0) : ExtremeHeaderAt(d, positions[_random.Next(positions.Count)]);
    }

    /// <summary>Writes a bin/str/array header with an extreme length at <paramref name="at"/>, over what was there.</summary>
    private byte[] ExtremeHeaderAt(byte[] d, int at)
    {
        byte code = LengthCodes[_random.Next(LengthCodes.Length)];
        uint length = _random.Next(3) == 0 ? (uint)(d.Length - at + _random.Next(-2, 3)) : ExtremeLengths[_random.Next(ExtremeLengths.Length)];
        int size = code switch { 0xc4 or 0xd9 => 1, 0xc5 or 0xda or 0xdc => 2, _ => 4 };
        byte[] header = new byte[1 + size];
        header[0] = code;
        for (int i = 0; i < size; i++)
        {
            header[size - i] = (byte)(length >> (8 * i));
        }
        byte[] result = new byte[Math.Max(d.Length, at + header.Length)];
        d.CopyTo(result, 0);
        header.CopyTo(result, at);
        return result;
    }
}
