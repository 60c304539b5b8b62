namespace FastRaft.Protocol;

/// <summary>Volatile state worth reporting but not persisting: the known leader and our role.</summary>
public readonly record struct SoftState(ulong Lead, NodeRole Role);
