using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Workload;

/// <summary>
/// The open model: proposals injected at a fixed rate by one thread that follows a schedule
/// (send i is due at start + i / rate). Latency runs from the intended send time, not the actual
/// one, so a stall that delays sends shows up in the latencies of every send it delayed
/// (no coordinated omission). At most <c>maxInFlight</c> proposals are outstanding; when that
/// many are, the injector waits and falls behind its schedule, and what it could not send by the
/// end is reported as the backlog. Each outstanding proposal is a pooled <see cref="Slot"/> with
/// its own payload buffer and a cached continuation, so injecting allocates nothing once warm.
/// </summary>
public sealed class OpenWorkload : IWorkload
{
    private readonly ILoadTarget _target;
    private readonly LoadMeter _meter;
    private readonly double _ticksPerSend;
    private readonly Slot[] _free;
    private readonly Lock _freeGate = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _injector;
    private volatile bool _stopping;
    private int _freeCount;
    private int _inFlight;
    private long _issued;
    private long _due;
    private long _lagTicksTotal;
    private long _lagTicksMax;
    private long _lagSends;
    private volatile bool _resetLag;

    public OpenWorkload(ILoadTarget target, LoadMeter meter, int rate, int maxInFlight, int payloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _target = target;
        _meter = meter;
        _ticksPerSend = (double)Stopwatch.Frequency / rate;
        _free = new Slot[maxInFlight];
        for (int i = 0; i < maxInFlight; i++)
        {
            _free[i] = new Slot(this, payloadSize);
        }
        _freeCount = maxInFlight;
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public long Backlog => Math.Max(0, Volatile.Read(ref _due) - Volatile.Read(ref _issued));

    /// <summary>How late the injector issued its sends since <see cref="ResetSendLag"/>, on average and at worst (read after stopping).</summary>
    public (TimeSpan Mean, TimeSpan Max) SendLag => _lagSends == 0
        ? (TimeSpan.Zero, TimeSpan.Zero)
        : (Stopwatch.GetElapsedTime(0, _lagTicksTotal / _lagSends), Stopwatch.GetElapsedTime(0, _lagTicksMax));

    /// <summary>Starts measuring the send lag afresh (at the next send).</summary>
    public void ResetSendLag() => _resetLag = true;

    public void Start()
    {
        _injector = new Thread(Inject) { IsBackground = true, Name = "load-injector" };
        _injector.Start();
    }

    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _stopping = true;
        _injector?.Join();
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }
        try
        {
            await _drained.Task.WaitAsync(drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Reported through InFlight.
        }
    }

    private void Inject()
    {
        PreciseSleep.TightenTimerSlack();
        long start = Stopwatch.GetTimestamp();
        long sequence = 0;
        var spin = new SpinWait();
        while (!_stopping)
        {
            long intended = start + (long)(sequence * _ticksPerSend);
            long now = Stopwatch.GetTimestamp();
            Volatile.Write(ref _due, 1 + (long)((now - start) / _ticksPerSend));
            if (now < intended)
            {
                WaitUntil(intended, now);
                continue;
            }
            Slot? slot = TryRent();
            if (slot is null)
            {
                // All slots busy: wait for one, behind schedule (the latency of this send grows).
                spin.SpinOnce();
                continue;
            }
            spin.Reset();
            if (_resetLag)
            {
                _resetLag = false;
                _lagTicksTotal = 0;
                _lagTicksMax = 0;
                _lagSends = 0;
            }
            long lag = Stopwatch.GetTimestamp() - intended;
            _lagSends++;
            _lagTicksTotal += lag;
            if (lag > _lagTicksMax)
            {
                _lagTicksMax = lag;
            }
            Interlocked.Increment(ref _inFlight);
            Volatile.Write(ref _issued, sequence + 1);
            slot.Send(sequence, intended);
            sequence++;
        }
    }

    /// <summary>
    /// Waits for the next send without burning a core the cluster needs: sleeps until it is due
    /// (with 1 µs timer slack on Linux) and spins only for the last few microseconds. Sending late
    /// only makes the recorded latency larger, never smaller.
    /// </summary>
    private static void WaitUntil(long intended, long now)
    {
        long remaining = intended - now;
        long spinWindow = Stopwatch.Frequency / 50_000; // 20 us
        if (remaining > spinWindow)
        {
            PreciseSleep.For(Stopwatch.GetElapsedTime(0, remaining - (spinWindow / 2)));
        }
        else
        {
            Thread.SpinWait(20);
        }
    }

    private Slot? TryRent()
    {
        lock (_freeGate)
        {
            return _freeCount == 0 ? null : _free[--_freeCount];
        }
    }

    private void Return(Slot slot)
    {
        lock (_freeGate)
        {
            _free[_freeCount++] = slot;
        }
        if (Interlocked.Decrement(ref _inFlight) == 0 && _stopping)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>One outstanding proposal: its payload, its intended send time and its continuation.</summary>
    private sealed class Slot
    {
        private readonly OpenWorkload _owner;
        private readonly byte[] _payload;
        private readonly Action _onCompleted;
        private ConfiguredValueTaskAwaitable<ProposalOutcome>.ConfiguredValueTaskAwaiter _awaiter;
        private long _intended;
        private int _lane;

        public Slot(OpenWorkload owner, int payloadSize)
        {
            _owner = owner;
            _payload = new byte[payloadSize];
            _onCompleted = Complete;
        }

        public void Send(long sequence, long intended)
        {
            _intended = intended;
            _lane = (int)(sequence % _owner._target.Lanes);
            _owner._target.WritePayload(_payload, sequence);
            try
            {
                _awaiter = _owner._target.ProposeAsync(_lane, _payload).ConfigureAwait(false).GetAwaiter();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Finish(ProposalOutcome.Error);
                return;
            }
            if (_awaiter.IsCompleted)
            {
                Complete();
            }
            else
            {
                _awaiter.UnsafeOnCompleted(_onCompleted);
            }
        }

        private void Complete()
        {
            ProposalOutcome outcome;
            try
            {
                outcome = _awaiter.GetResult();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                outcome = ProposalOutcome.Error;
            }
            _awaiter = default;
            Finish(outcome);
        }

        private void Finish(ProposalOutcome outcome)
        {
            _owner._meter.Record(outcome, _intended, _lane);
            _owner.Return(this);
        }
    }
}
