using FastRaft.Hosting.Requests;

namespace FastRaft.Hosting;

// Stopping: close every inbox, then fail whatever is still outstanding. Runs once, on the node
// thread (or on the caller's thread when the node never started).
public sealed partial class RaftNode<TResult>
{
    private void ShutDown()
    {
        // Closing first means no request can be queued behind the final drain.
        _requests.Close();
        _inbound.Close();
        _reports.Close();
        int n;
        while ((n = _requests.Drain(_requestScratch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                RequestOperation op = _requestScratch[i];
                _requestScratch[i] = null!;
                FailRequest(op, RequestStatus.ShuttingDown);
            }
        }
        while ((n = _inbound.Drain(_batchScratch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                Interlocked.Add(ref _counters.MessagesDropped, _batchScratch[i].Count);
                _batchScratch[i].Release();
                _batchScratch[i] = null!;
            }
        }
        while (_reports.Drain(_reportScratch) > 0)
        {
        }

        while (_pending.Count > 0)
        {
            FailRequest(_pending.PopFront().Request, RequestStatus.ShuttingDown);
        }
        foreach (ReadOperation op in _readsAwaitingIndex.Values)
        {
            op.Fail(RequestStatus.ShuttingDown);
        }
        _readsAwaitingIndex.Clear();
        _readDeadlines.Clear();
        foreach (ReadOperation op in _readsAwaitingApply)
        {
            op.Fail(RequestStatus.ShuttingDown);
        }
        _readsAwaitingApply.Clear();
        foreach (TransferOperation op in _transfers)
        {
            op.Fail(RequestStatus.ShuttingDown);
        }
        _transfers.Clear();

        try
        {
            _transport.Dispose();
        }
        catch (Exception ex)
        {
            _log.Error($"node {Id:x}: disposing the transport threw: {ex}");
        }
        _meter?.Dispose();
        // The idle strategy is not disposed: producers may still wake it after this point.
    }
}
