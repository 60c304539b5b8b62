namespace FastRaft.Sample.Matching;

/// <summary>A tradable instrument: a numeric id used in commands and a symbol for people.</summary>
/// <param name="Id">Positive id carried by every command.</param>
/// <param name="Symbol">Display name.</param>
public sealed record Instrument(int Id, string Symbol);
