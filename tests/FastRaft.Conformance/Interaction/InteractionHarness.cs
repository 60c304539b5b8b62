using System.Globalization;
using FastRaft.Conformance.DataDriven;
using Microsoft.Extensions.Logging;

namespace FastRaft.Conformance.Interaction;

/// <summary>
/// Runs etcd raft's interaction scripts: whole nodes driven command by command (etcd's
/// rafttest InteractionEnv). One instance per script.
/// </summary>
public sealed partial class InteractionHarness : IScriptHarness
{
    private readonly HarnessOutput _output = new();
    private readonly List<HarnessNode> _nodes = [];

    /// <summary>Messages in flight between nodes (and responses from storage threads).</summary>
    private readonly List<FastRaft.Protocol.Message> _messages = [];

    public string Execute(TestCase tc)
    {
        _output.Reset();
        string? error = tc.Cmd == "propose-conf-change"
            ? ProposeConfChange(tc)
            : HandleMultiCommand(tc);
        // Errors are always reported, even when the log level silences everything else.
        if (error is not null)
        {
            if (_output.Quiet)
            {
                return error;
            }
            _output.AppendAlways(error);
        }
        return _output.Length == 0 ? "ok" : _output.ToString();
    }

    private string? HandleMultiCommand(TestCase tc)
    {
        string? error = HandleSingle(tc, tc.Cmd, tc.CmdArgs);
        if (error is not null)
        {
            return error;
        }
        foreach (string line in tc.Input.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            (string cmd, List<CmdArg> args) = ScriptParser.ParseCommand(tc.File, tc.Line, line);
            string? lineError = HandleSingle(tc, cmd, args);
            if (lineError is not null)
            {
                if (_output.Quiet)
                {
                    return lineError;
                }
                _output.AppendAlways(lineError);
            }
        }
        return null;
    }

    private string? HandleSingle(TestCase tc, string cmd, IReadOnlyList<CmdArg> args) => cmd switch
    {
        "_breakpoint" => null,
        "add-nodes" => AddNodes(tc, args),
        "campaign" => Campaign(tc, args),
        "compact" => Compact(tc, args),
        "deliver-msgs" => DeliverMsgsCommand(tc, args),
        "process-ready" => ForEachNode(tc, args, "handling Ready", ProcessReady),
        "process-append-thread" => ForEachNode(tc, args, "processing append thread", ProcessAppendThread),
        "process-apply-thread" => ForEachNode(tc, args, "processing apply thread", ProcessApplyThread),
        "log-level" => SetLogLevel(args[0].Key),
        "raft-log" => RaftLog(FirstAsNodeIndex(tc, args)),
        "raft-state" => RaftState(),
        "set-randomized-election-timeout" => SetRandomizedElectionTimeout(tc, args),
        "stabilize" => StabilizeCommand(tc, args),
        "status" => Status(FirstAsNodeIndex(tc, args)),
        "tick-election" => Tick(tc, args, election: true),
        "tick-heartbeat" => Tick(tc, args, election: false),
        "transfer-leadership" => TransferLeadership(tc, args),
        "forget-leader" => ForgetLeader(tc, args),
        "send-snapshot" => SendSnapshot(tc, args),
        "propose" => Propose(tc, args),
        "report-unreachable" => ReportUnreachable(tc, args),
        _ => "unknown command",
    };

    private string? SetLogLevel(string name)
    {
        foreach ((string levelName, LogLevel level) in HarnessOutput.LevelNames)
        {
            if (string.Equals(levelName, name, StringComparison.OrdinalIgnoreCase))
            {
                _output.Level = level;
                return null;
            }
        }
        return "log levels must be either of [DEBUG INFO WARN ERROR FATAL NONE]";
    }

    private static int FirstAsInt(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        if (args.Count == 0 || !int.TryParse(args[0].Key, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            throw new DataDrivenException(tc, "expected a node id as the first argument");
        }
        return n;
    }

    private int FirstAsNodeIndex(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        int idx = FirstAsInt(tc, args) - 1;
        if (idx < 0 || idx >= _nodes.Count)
        {
            throw new DataDrivenException(tc, $"node {idx + 1} does not exist");
        }
        return idx;
    }

    /// <summary>Node indexes named by bare numeric arguments (key=value arguments are skipped).</summary>
    private static List<int> NodeIndexes(TestCase tc, IReadOnlyList<CmdArg> args)
    {
        var idxs = new List<int>();
        foreach (CmdArg a in args)
        {
            if (a.Vals.Count != 0)
            {
                continue;
            }
            if (!int.TryParse(a.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                throw new DataDrivenException(tc, $"expected a node id, got {a.Key}");
            }
            idxs.Add(n - 1);
        }
        return idxs;
    }

    /// <summary>Runs an action per named node; with several nodes each section gets a header and indentation.</summary>
    private string? ForEachNode(TestCase tc, IReadOnlyList<CmdArg> args, string header, Func<int, string?> action)
    {
        List<int> idxs = NodeIndexes(tc, args);
        foreach (int idx in idxs)
        {
            string? error = null;
            if (idxs.Count > 1)
            {
                _output.Append($"> {idx + 1} {header}\n");
                _output.WithIndent(() => error = action(idx));
            }
            else
            {
                error = action(idx);
            }
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }

    private static bool ParseBool(TestCase tc, string v) =>
        v switch
        {
            "true" or "1" or "t" or "T" or "TRUE" or "True" => true,
            "false" or "0" or "f" or "F" or "FALSE" or "False" => false,
            _ => throw new DataDrivenException(tc, $"not a bool: {v}"),
        };

    private static ulong ParseUlong(TestCase tc, string v) =>
        ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ? n : throw new DataDrivenException(tc, $"not a number: {v}");
}
