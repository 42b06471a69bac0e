using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;

namespace Growlytics.Benchmarks.Caller;

/// <summary>
/// The caller's cost of <c>Push</c>: validation, the message, the queue write. The delivery loop is not
/// running, so nothing else competes for the cores or allocates. The dictionary and <see cref="UserAttributes"/>
/// are built once; the anonymous object is created in the call, as a caller writes it. Between iterations the queue is
/// emptied and its messages go back to the calls' pool, as delivered ones do, so calls reuse them (a client whose
/// messages are being delivered); <see cref="DictionaryNothingDelivered"/> is the dictionary call when nothing comes back,
/// so every call allocates its message (a burst beyond what was delivered before).
/// </summary>
[CallerJob]
public class PushBenchmarks
{
    private GrowlyticsClient _client = null!;
    private Dictionary<string, object?> _dictionary = null!;
    private UserAttributes _typed = null!;

    [Params(3, 20)]
    public int Attributes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _client = Clients.WithoutDelivery();
        _dictionary = Infrastructure.Attributes.Dictionary(Attributes);
        _typed = Infrastructure.Attributes.Typed(Attributes);
    }

    [IterationCleanup(Targets = [nameof(Dictionary), nameof(UserAttributes), nameof(AnonymousObject)])]
    public void Drain() => Clients.Drain(_client);

    [IterationCleanup(Target = nameof(DictionaryNothingDelivered))]
    public void DrainWithoutRecycling() => Clients.Drain(_client, recycle: false);

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();

    [Benchmark(Baseline = true)]
    public void Dictionary() => _client.User.Push(_dictionary);

    [Benchmark]
    public void DictionaryNothingDelivered() => _client.User.Push(_dictionary);

    [Benchmark]
    public void UserAttributes() => _client.User.Push(_typed);

    [Benchmark]
    public void AnonymousObject() =>
        _client.User.Push(Attributes == 3 ? Infrastructure.Attributes.Anonymous3() : Infrastructure.Attributes.Anonymous20());
}
