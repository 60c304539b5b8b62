using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// Backing store for what one Ready hands out: the entries carried by messages and the
/// committed entries (the Ready's entries to persist are a view of the unstable log's ring),
/// copied payloads that the core does not otherwise own (forwarded proposals, read contexts),
/// and the Ready's message list (the node sends into it directly). The node
/// keeps two arenas and alternates at each Ready, so everything a Ready exposes stays valid
/// until the next call to Ready while a warmed-up pair never allocates. Growth moves to new
/// arrays and leaves views into the old ones intact. Every array starts empty and grows on first
/// use (a node of thousands in a process that stays idle holds none), and a quiet node gives
/// them back (<see cref="ReleaseArrays"/>).
/// </summary>
internal sealed class MessageArena
{
    /// <summary>The first byte array's length: small copies (read contexts) share it.</summary>
    private const int MinBytes = 256;

    /// <summary>The first read-state array's length.</summary>
    private const int MinReadStates = 4;

    private byte[] _bytes = [];
    private int _bytesUsed;

    public EntryBuffer Entries { get; } = new(0);

    public MessageList Messages { get; } = new();

    /// <summary>The responses that wait for the Ready's writes (Raft.MsgsAfterAppend).</summary>
    public MessageList AfterAppend { get; } = new();

    public MessageList Responses { get; } = new();

    private ReadState[] _readStates = [];
    private int _readStateCount;

    public void Clear()
    {
        _readStates.AsSpan(0, _readStateCount).Clear();
        _readStateCount = 0;
        Entries.Clear();
        Messages.Clear();
        AfterAppend.Clear();
        Responses.Clear();
        _bytesUsed = 0;
    }

    /// <summary>Whether any of the arena's arrays is allocated (tests of <see cref="ReleaseArrays"/>).</summary>
    public bool HoldsArrays =>
        _bytes.Length != 0 || _readStates.Length != 0 || Entries.Capacity != 0
        || Messages.Capacity != 0 || AfterAppend.Capacity != 0 || Responses.Capacity != 0;

    /// <summary>
    /// Clears and drops every array (the next use allocates anew): for a node going quiet. Views
    /// handed out keep the old arrays alive and intact.
    /// </summary>
    public void ReleaseArrays()
    {
        Clear();
        _bytes = [];
        _readStates = [];
        Entries.ReleaseArray();
        Messages.ReleaseArray();
        AfterAppend.ReleaseArray();
        Responses.ReleaseArray();
    }

    /// <summary>Copies entries together with their payload bytes, for entries whose payload the caller owns.</summary>
    public ReadOnlyMemory<Entry> AddEntriesWithPayloads(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty)
        {
            return ReadOnlyMemory<Entry>.Empty;
        }
        int start = Entries.Count;
        foreach (ref readonly Entry e in entries)
        {
            Entries.Add(e with { Data = CopyBytes(e.Data.Span) });
        }
        return Entries.AsMemory(start, entries.Length);
    }

    /// <summary>Copies bytes into the arena and returns the view.</summary>
    public ReadOnlyMemory<byte> CopyBytes(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (_bytesUsed + data.Length > _bytes.Length)
        {
            // A fresh array: views into the old one stay valid until it is unreferenced.
            _bytes = new byte[Math.Max(Math.Max(MinBytes, _bytes.Length * 2), data.Length * 2)];
            _bytesUsed = 0;
        }
        data.CopyTo(_bytes.AsSpan(_bytesUsed));
        var view = new ReadOnlyMemory<byte>(_bytes, _bytesUsed, data.Length);
        _bytesUsed += data.Length;
        return view;
    }

    /// <summary>Reserves <paramref name="length"/> bytes to be written by the caller.</summary>
    public Memory<byte> Reserve(int length)
    {
        if (_bytesUsed + length > _bytes.Length)
        {
            _bytes = new byte[Math.Max(Math.Max(MinBytes, _bytes.Length * 2), length * 2)];
            _bytesUsed = 0;
        }
        var view = new Memory<byte>(_bytes, _bytesUsed, length);
        _bytesUsed += length;
        return view;
    }

    public ReadOnlyMemory<ReadState> AddReadStates(List<ReadState> states)
    {
        if (states.Count == 0)
        {
            return ReadOnlyMemory<ReadState>.Empty;
        }
        if (_readStateCount + states.Count > _readStates.Length)
        {
            _readStates = new ReadState[Math.Max(Math.Max(MinReadStates, _readStates.Length * 2), states.Count * 2)];
            _readStateCount = 0;
        }
        int start = _readStateCount;
        states.CopyTo(_readStates, start);
        _readStateCount += states.Count;
        return new ReadOnlyMemory<ReadState>(_readStates, start, states.Count);
    }

    public ReadOnlyMemory<Message> AddResponses(ReadOnlySpan<Message> messages)
    {
        if (messages.IsEmpty)
        {
            return ReadOnlyMemory<Message>.Empty;
        }
        int start = Responses.Count;
        Responses.AddRange(messages);
        return Responses.AsMemory(start, messages.Length);
    }
}
