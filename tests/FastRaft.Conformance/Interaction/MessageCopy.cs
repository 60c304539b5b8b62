using FastRaft.Protocol;

namespace FastRaft.Conformance.Interaction;

/// <summary>
/// Deep copies of messages taken out of a Ready: the core's views are only valid until the next
/// Ready, while the harness holds messages in flight for as long as a script wants.
/// </summary>
internal static class MessageCopy
{
    public static Message Own(in Message m)
    {
        Message c = m;
        c.Entries = OwnEntries(m.Entries.Span);
        c.Context = m.Context.IsEmpty ? ReadOnlyMemory<byte>.Empty : m.Context.ToArray();
        if (!m.Responses.IsEmpty)
        {
            var rs = new Message[m.Responses.Length];
            for (int i = 0; i < rs.Length; i++)
            {
                rs[i] = Own(m.Responses.Span[i]);
            }
            c.Responses = rs;
        }
        return c;
    }

    public static Entry[] OwnEntries(ReadOnlySpan<Entry> entries)
    {
        var copy = new Entry[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            Entry e = entries[i];
            copy[i] = e with { Data = e.Data.IsEmpty ? ReadOnlyMemory<byte>.Empty : e.Data.ToArray() };
        }
        return copy;
    }
}
