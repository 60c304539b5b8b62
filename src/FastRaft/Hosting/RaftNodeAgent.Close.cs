namespace FastRaft.Hosting;

// Closing: stop every way in, fail whatever is still outstanding, give up the transport.
public sealed partial class RaftNodeAgent<TResult>
{
    /// <summary>
    /// Set by whoever built the node with a storage of its own making (the builder): the storage
    /// is then disposed on close, after the transport. Otherwise the storage stays the caller's.
    /// </summary>
    internal bool OwnsStorage { get; set; }

    /// <summary>
    /// Closes the node, once (the runner's thread, or the host's when the node never ran): every
    /// outstanding request fails as ShuttingDown, the transport is disposed, and
    /// <see cref="Completion"/> completes (faulted with <see cref="Fault"/> if the node died).
    /// </summary>
    public void OnClose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _stopRequested = true;
        try
        {
            _requests.Close(_tracker);
            _inbox.Close();
            _tracker.FailAll(RequestStatus.ShuttingDown);
            _transfers.FailAll(RequestStatus.ShuttingDown);
        }
        catch (Exception ex)
        {
            // Only a continuation run inline can throw here; the node is closing regardless.
            _log.Error($"node {Id:x}: failing outstanding requests threw: {ex}");
        }
        try
        {
            _transport.Dispose();
        }
        catch (Exception ex)
        {
            _log.Error($"node {Id:x}: disposing the transport threw: {ex}");
        }
        if (OwnsStorage)
        {
            try
            {
                _storage.Dispose();
            }
            catch (Exception ex)
            {
                _log.Error($"node {Id:x}: closing the storage threw: {ex}");
            }
        }
        _meter?.Dispose();
        Exception? fault = Volatile.Read(ref _fault);
        if (fault is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(fault);
        }
    }
}
