using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;

namespace Growlytics.Benchmarks.Caller;

/// <summary>
/// The caller's cost of <c>Identify</c>: the same user again (an attribute update) and a full
/// <c>Identify</c> + <c>Logout</c> cycle (a login and a logout message and a fresh anonymous id). Between iterations
/// the queue's messages go back to the calls' pool as delivered ones do (see <c>PushBenchmarks</c>).
/// </summary>
[CallerJob]
public class IdentifyBenchmarks
{
    private GrowlyticsClient _client = null!;
    private Dictionary<string, object?> _attributes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _client = Clients.WithoutDelivery();
        _attributes = Attributes.Dictionary(3);
        _client.User.Identify("user-42");
    }

    [IterationCleanup]
    public void Drain() => Clients.Drain(_client);

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();

    [Benchmark(Baseline = true)]
    public void IdentifySameUser() => _client.User.Identify("user-42", _attributes);

    [Benchmark]
    public void IdentifyThenLogout()
    {
        var user = _client.User;
        user.Identify("user-7", _attributes);
        user.Logout();
    }
}
