using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Requests;

/// <summary>
/// Proposes membership changes on the leader (node thread only). An appended change is tracked
/// like a proposal and completes when applied (<see cref="RequestTracker{TResult}.OnApplied"/>).
/// </summary>
internal sealed class MembershipOperations<TResult>(RawNode raw, RequestTracker<TResult> tracker) where TResult : struct
{
    public void Propose(MembershipOperation op)
    {
        BasicStatus st = raw.BasicStatus();
        if (st.SoftState.Role != NodeRole.Leader)
        {
            op.Fail(RequestStatus.NotLeader, st.SoftState.Lead);
            return;
        }
        StepResult r = raw.ProposeConfChange(op.Change);
        if (r != StepResult.Ok)
        {
            op.Fail(RequestStatus.Dropped, st.SoftState.Lead, r);
            return;
        }
        // A leader appends a proposal as its last entry.
        tracker.TrackAppended(raw.LastIndex, st.HardState.Term, op);
    }
}
