namespace FastRaft.Sample.Matching;

/// <summary>What a command asks the engine to do.</summary>
public enum CommandKind : byte
{
    /// <summary>Place a limit or market order.</summary>
    Place = 1,

    /// <summary>Cancel a resting order of the same client.</summary>
    Cancel = 2,
}
