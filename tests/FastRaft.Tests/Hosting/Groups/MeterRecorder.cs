using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// Listens to the instruments of the meters named <c>meterName</c> that carry the tag
/// <c>tagKey</c> = <c>tagValue</c>: counts what they publish and complete, and collects their
/// observable instruments on demand (each instrument's last long measurement, by name).
/// </summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _last = new();
    private int _published;
    private int _completed;
    private long _measurements;

    public MeterRecorder(string meterName, string tagKey, object tagValue)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Meter.Tags?.Any(t => t.Key == tagKey && Equals(t.Value, tagValue)) == true)
            {
                MeterTags = instrument.Meter.Tags.ToDictionary(t => t.Key, t => t.Value);
                Interlocked.Increment(ref _published);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (_, _) => Interlocked.Increment(ref _completed);
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            _last[instrument.Name] = value;
            Interlocked.Increment(ref _measurements);
        });
        _listener.Start();
    }

    /// <summary>Instruments of matching meters published so far.</summary>
    public int Published => Volatile.Read(ref _published);

    /// <summary>Of those, the instruments whose meter was disposed since.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Measurements received so far, every collection together.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    /// <summary>The tags of the last matching meter published, or null.</summary>
    public IReadOnlyDictionary<string, object?>? MeterTags { get; private set; }

    /// <summary>Reads every enabled observable instrument now: each instrument's value by name (empty when none answered).</summary>
    public IReadOnlyDictionary<string, long> Collect()
    {
        _last.Clear();
        _listener.RecordObservableInstruments();
        return new Dictionary<string, long>(_last);
    }

    public void Dispose() => _listener.Dispose();
}
