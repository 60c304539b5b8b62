namespace FastRaft.Codec;

/// <summary>The places in a message where decoding can fail (for error texts).</summary>
internal enum WireField : byte
{
    Message,
    Version,
    GroupId,
    Type,
    To,
    From,
    Term,
    LogTerm,
    Index,
    Commit,
    Vote,
    Reject,
    RejectHint,
    Context,
    Entries,
    Entry,
    EntryTerm,
    EntryIndex,
    EntryType,
    EntryData,
    Snapshot,
    SnapshotIndex,
    SnapshotTerm,
    ConfState,
    Voters,
    Learners,
    VotersOutgoing,
    LearnersNext,
    AutoLeave,
    SnapshotData,
}

/// <summary>What is wrong with a field.</summary>
internal enum WireProblem : byte
{
    None,
    Truncated,
    WrongFormat,
    Negative,
    WrongLength,
    CountExceedsInput,
    Unsupported,
    LocalOnly,
    TrailingBytes,
}

/// <summary>
/// Why a message could not be decoded: the field and what is wrong with it. Its text comes from
/// a table built once, so rejecting malformed input allocates nothing, however much of it arrives.
/// </summary>
public readonly record struct WireError
{
    internal WireError(WireField field, WireProblem problem)
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>No error.</summary>
    public static readonly WireError None = default;

    internal WireField Field { get; }

    internal WireProblem Problem { get; }

    /// <summary>Whether this is an error (false for <see cref="None"/>).</summary>
    public bool IsError => Problem != WireProblem.None;

    /// <summary>The description, e.g. <c>message.term: expected an unsigned integer</c> (empty for <see cref="None"/>).</summary>
    public string Text => WireErrorText.Of(this);

    /// <inheritdoc cref="Text"/>
    public override string ToString() => Text;
}

internal static class WireErrorText
{
    private static readonly int ProblemCount = Enum.GetValues<WireProblem>().Length;
    private static readonly string[] Table = Build();

    public static string Of(WireError e) => Table[(int)e.Field * ProblemCount + (int)e.Problem];

    private static string[] Build()
    {
        WireField[] fields = Enum.GetValues<WireField>();
        var table = new string[fields.Length * ProblemCount];
        foreach (WireField f in fields)
        {
            (string name, string kind) = Describe(f);
            for (int p = 0; p < ProblemCount; p++)
            {
                table[(int)f * ProblemCount + p] = Compose(f, name, kind, (WireProblem)p);
            }
        }
        return table;
    }

    private static string Compose(WireField field, string name, string kind, WireProblem p) => p switch
    {
        WireProblem.None => "",
        WireProblem.Truncated => $"{name}: input ends inside the value",
        WireProblem.WrongFormat => $"{name}: expected {kind}",
        WireProblem.Negative => $"{name}: negative integer",
        WireProblem.WrongLength => $"{name}: expected {kind}",
        WireProblem.CountExceedsInput => $"{name}: element count exceeds what the remaining input can hold",
        WireProblem.Unsupported => field switch
        {
            WireField.Version => $"{name}: unsupported format version (this decoder reads versions {WireFormat.Version} and {WireFormat.GroupVersion})",
            WireField.GroupId => $"{name}: group id 0 travels as version {WireFormat.Version}, without a group id",
            WireField.Type => $"{name}: unknown message type",
            WireField.EntryType => $"{name}: unknown entry type",
            _ => $"{name}: unsupported value",
        },
        WireProblem.LocalOnly => $"{name}: node-local message type, never sent between nodes",
        WireProblem.TrailingBytes => field == WireField.Message ? "trailing bytes after the message in its frame" : $"{name}: trailing bytes",
        _ => $"{name}: {p}",
    };

    private static (string Name, string Kind) Describe(WireField f) => f switch
    {
        WireField.Message => ("message", $"an array of {WireFormat.MessageArity} elements (version {WireFormat.Version}) or {WireFormat.GroupMessageArity} (version {WireFormat.GroupVersion})"),
        WireField.Version => ("message.version", "an unsigned integer"),
        WireField.GroupId => ("message.group_id", "an unsigned integer"),
        WireField.Type => ("message.type", "an unsigned integer"),
        WireField.To => ("message.to", "an unsigned integer"),
        WireField.From => ("message.from", "an unsigned integer"),
        WireField.Term => ("message.term", "an unsigned integer"),
        WireField.LogTerm => ("message.log_term", "an unsigned integer"),
        WireField.Index => ("message.index", "an unsigned integer"),
        WireField.Commit => ("message.commit", "an unsigned integer"),
        WireField.Vote => ("message.vote", "an unsigned integer"),
        WireField.Reject => ("message.reject", "a boolean"),
        WireField.RejectHint => ("message.reject_hint", "an unsigned integer"),
        WireField.Context => ("message.context", "a binary string"),
        WireField.Entries => ("message.entries", "an array"),
        WireField.Entry => ("entry", $"an array of {WireFormat.EntryArity} elements"),
        WireField.EntryTerm => ("entry.term", "an unsigned integer"),
        WireField.EntryIndex => ("entry.index", "an unsigned integer"),
        WireField.EntryType => ("entry.type", "an unsigned integer"),
        WireField.EntryData => ("entry.data", "a binary string"),
        WireField.Snapshot => ("message.snapshot", $"nil or an array of {WireFormat.SnapshotArity} elements"),
        WireField.SnapshotIndex => ("snapshot.index", "an unsigned integer"),
        WireField.SnapshotTerm => ("snapshot.term", "an unsigned integer"),
        WireField.ConfState => ("snapshot.conf_state", $"an array of {WireFormat.ConfStateArity} elements"),
        WireField.Voters => ("conf_state.voters", "an array of unsigned integers"),
        WireField.Learners => ("conf_state.learners", "an array of unsigned integers"),
        WireField.VotersOutgoing => ("conf_state.voters_outgoing", "an array of unsigned integers"),
        WireField.LearnersNext => ("conf_state.learners_next", "an array of unsigned integers"),
        WireField.AutoLeave => ("conf_state.auto_leave", "a boolean"),
        WireField.SnapshotData => ("snapshot.data", "a binary string"),
        _ => (f.ToString(), "a value"),
    };
}
