namespace FastRaft.Conformance.DataDriven;

/// <summary>One argument of a command line: <c>key</c>, <c>key=val</c> or <c>key=(a,b,c)</c>.</summary>
public sealed record CmdArg(string Key, IReadOnlyList<string> Vals)
{
    public override string ToString() => Vals.Count switch
    {
        0 => Key,
        1 => $"{Key}={Vals[0]}",
        _ => $"{Key}=({string.Join(", ", Vals)})",
    };
}

/// <summary>
/// One block of a datadriven script: the command with its arguments, the input lines between
/// the command and <c>----</c>, and the exact expected output.
/// </summary>
public sealed record TestCase(string File, int Line, string Cmd, IReadOnlyList<CmdArg> CmdArgs, string Input, string Expected)
{
    /// <summary>The command line as written (for failure reports).</summary>
    public string CommandLine { get; init; } = Cmd;

    public bool HasArg(string key)
    {
        foreach (CmdArg a in CmdArgs)
        {
            if (a.Key == key)
            {
                return true;
            }
        }
        return false;
    }

    public CmdArg? Arg(string key)
    {
        foreach (CmdArg a in CmdArgs)
        {
            if (a.Key == key)
            {
                return a;
            }
        }
        return null;
    }

    /// <summary>The single value of <paramref name="key"/>, or null when absent.</summary>
    public string? Value(string key)
    {
        CmdArg? a = Arg(key);
        if (a is null)
        {
            return null;
        }
        if (a.Vals.Count != 1)
        {
            throw new DataDrivenException(this, $"argument {key} must have exactly one value");
        }
        return a.Vals[0];
    }
}

/// <summary>A malformed script or an argument the harness cannot use.</summary>
public sealed class DataDrivenException(string message) : Exception(message)
{
    public DataDrivenException(TestCase tc, string message) : this($"{tc.File}:{tc.Line}: {tc.CommandLine}: {message}") { }
}
