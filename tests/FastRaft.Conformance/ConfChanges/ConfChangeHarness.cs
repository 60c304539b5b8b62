using FastRaft.Conformance.DataDriven;
using FastRaft.Core.ConfChanges;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Conformance.ConfChanges;

/// <summary>
/// Runs etcd's confchange scripts (<c>simple</c>, <c>enter-joint</c>, <c>leave-joint</c>) as
/// etcd's confchange/datadriven_test.go does: one tracker per script (MaxInflight 10, no byte
/// limit), a last index that grows by one with every command, and on success the new
/// configuration followed by the progress map.
/// </summary>
public sealed class ConfChangeHarness : IScriptHarness
{
    private readonly ProgressTracker _tracker = new(10, 0);
    private ulong _lastIndex;

    public string Execute(TestCase tc)
    {
        try
        {
            return Run(tc);
        }
        finally
        {
            _lastIndex++;
        }
    }

    private string Run(TestCase tc)
    {
        if (!ConfChangeText.TryParse(tc.Input, out ConfChangeSingle[] ccs, out string? parseError))
        {
            return parseError!;
        }

        var changer = new Changer(_tracker, _lastIndex);
        ConfChangeResult result;
        switch (tc.Cmd)
        {
            case "simple":
                result = changer.Simple(ccs);
                break;
            case "enter-joint":
                bool autoLeave = false;
                if (tc.CmdArgs.Count > 0)
                {
                    string v = tc.Value("autoleave") ?? throw new DataDrivenException(tc, "missing argument autoleave");
                    autoLeave = bool.Parse(v);
                }
                result = changer.EnterJoint(autoLeave, ccs);
                break;
            case "leave-joint":
                result = ccs.Length > 0 ? new ConfChangeResult(null, null, "this command takes no input") : changer.LeaveJoint();
                break;
            default:
                return "unknown command";
        }

        if (!result.Ok)
        {
            return result.Error + "\n";
        }
        _tracker.Config = result.Config;
        _tracker.Progress = result.Progress;
        return $"{_tracker.Config}\n{_tracker.Progress}";
    }
}
