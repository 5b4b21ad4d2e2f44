using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Diagnostics;

namespace SendApi.UnitTests.Diagnostics;

/// <summary>The queue gauges cost the store at most one call per five seconds, whoever scrapes.</summary>
public sealed class QueueGaugesTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly CountingGauge _store = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Scrapes_within_five_seconds_share_one_store_call_and_report_its_reading()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _ = new SendApiMetrics(factory, _store, _time);
        using var scrape = new Scrape(factory);

        scrape.Collect();
        scrape.Collect();
        _time.Advance(TimeSpan.FromSeconds(4));
        scrape.Collect();

        Assert.Equal(1, _store.Calls);
        Assert.Equal(7, scrape.Last["sendapi.queue.depth"]);
        Assert.Equal(2, scrape.Last["sendapi.queue.due"]);
        Assert.Equal(30, scrape.Last["sendapi.queue.oldest_due_age"]);
        // The store's answer time is Redis's round trip, recorded once per store call.
        Assert.Equal([0.003], scrape.RoundTrips);

        _time.Advance(TimeSpan.FromSeconds(1));
        scrape.Collect();

        Assert.Equal(2, _store.Calls);
    }

    [Fact]
    public void A_failing_store_leaves_the_gauges_empty_and_is_asked_again_five_seconds_later()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _store.Fails = true;
        _ = new SendApiMetrics(factory, _store, _time);
        using var scrape = new Scrape(factory);

        scrape.Collect();
        scrape.Collect();

        Assert.Empty(scrape.Last);
        Assert.Equal(1, _store.Calls);

        _store.Fails = false;
        _time.Advance(TimeSpan.FromSeconds(5));
        scrape.Collect();

        Assert.Equal(2, _store.Calls);
        Assert.Equal(7, scrape.Last["sendapi.queue.depth"]);
    }

    private sealed class CountingGauge : IQueueGauge
    {
        public int Calls { get; private set; }

        public bool Fails { get; set; }

        public Task<QueueReading> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            Calls++;
            return Fails
                ? Task.FromException<QueueReading>(new InvalidOperationException("store down"))
                : Task.FromResult(new QueueReading(7, 2, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(3)));
        }
    }

    /// <summary>What an exporter does at each scrape: collect the observable instruments of one factory's meters.</summary>
    private sealed class Scrape : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Scrape(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            {
                if (instrument.Name == "sendapi.redis.round_trip_time")
                {
                    RoundTrips.Add(value);
                }
                else
                {
                    Last[instrument.Name] = value;
                }
            });
            _listener.Start();
        }

        public Dictionary<string, double> Last { get; } = [];

        public List<double> RoundTrips { get; } = [];

        public void Collect()
        {
            Last.Clear();
            _listener.RecordObservableInstruments();
        }

        public void Dispose() => _listener.Dispose();
    }
}
