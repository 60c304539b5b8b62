using System.Diagnostics;
using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Workload;

/// <summary>
/// The closed model: N clients, each with its own payload buffer, proposing, awaiting the
/// outcome, recording it, and proposing again. A client that fails backs off a millisecond so a
/// cluster without a leader is not hammered. Each client is one long-lived async loop, so once
/// warm the loop itself allocates nothing.
/// </summary>
public sealed class ClosedWorkload : IWorkload
{
    private readonly ILoadTarget _target;
    private readonly LoadMeter _meter;
    private readonly int _clients;
    private readonly int _payloadSize;
    private readonly Task[] _loops;
    private volatile bool _stopping;

    public ClosedWorkload(ILoadTarget target, LoadMeter meter, int clients, int payloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 1);
        _target = target;
        _meter = meter;
        _clients = clients;
        _payloadSize = payloadSize;
        _loops = new Task[clients];
    }

    /// <summary>Clients still waiting for a proposal (each has at most one in flight).</summary>
    public int InFlight
    {
        get
        {
            int running = 0;
            foreach (Task? loop in _loops)
            {
                if (loop is { IsCompleted: false })
                {
                    running++;
                }
            }
            return running;
        }
    }

    public long Backlog => 0;

    public void Start()
    {
        for (int i = 0; i < _clients; i++)
        {
            int client = i;
            _loops[i] = Task.Run(() => ClientLoopAsync(client));
        }
    }

    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _stopping = true;
        try
        {
            await Task.WhenAll(_loops).WaitAsync(drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Reported through InFlight; the target's disposal ends the stragglers.
        }
    }

    private async Task ClientLoopAsync(int client)
    {
        var payload = new byte[_payloadSize];
        long sequence = (long)client << 40;
        int lane = client % _target.Lanes;
        while (!_stopping)
        {
            _target.WritePayload(payload, sequence++);
            long start = Stopwatch.GetTimestamp();
            ProposalOutcome outcome;
            try
            {
                outcome = await _target.ProposeAsync(lane, payload).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                outcome = ProposalOutcome.Error;
            }
            _meter.Record(outcome, start, lane);
            if (outcome != ProposalOutcome.Committed)
            {
                await Task.Delay(1).ConfigureAwait(false);
            }
        }
    }
}
