#pragma warning disable CS1591 // docs pending: api helper
namespace FastRaft.Core.Logging;

/// <summary>Log levels, lowest first. <see cref="None"/> silences everything.</summary>
public enum RaftLogLevel
{
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
    None = 5,
}
