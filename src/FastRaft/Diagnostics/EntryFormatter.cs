namespace FastRaft.Diagnostics;

/// <summary>
/// Renders the payload of a normal entry for the describe formats (etcd's EntryFormatter). When
/// none is given, the payload is shown Go-quoted (<see cref="GoQuote"/>).
/// </summary>
public delegate string EntryFormatter(ReadOnlyMemory<byte> data);
