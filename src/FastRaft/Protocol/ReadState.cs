namespace FastRaft.Protocol;

/// <summary>
/// The answer to a ReadIndex request: once the applied index reaches <see cref="Index"/>, a read
/// tagged with <see cref="RequestCtx"/> is linearizable.
/// </summary>
public readonly record struct ReadState(ulong Index, ReadOnlyMemory<byte> RequestCtx)
{
    /// <summary>Equal when the index and the bytes of the request context are equal.</summary>
    public bool Equals(ReadState other) => Index == other.Index && RequestCtx.Span.SequenceEqual(other.RequestCtx.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Index, RequestCtx.Length);
}
