using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// Seeded sequences of Push / Identify / Logout / restart on the process-wide session with a <c>StorageDirectory</c>, on
/// both protocols, delivered to an in-process collector and compared with a model of the documents: the session file
/// brings back the anonymous id, the user and (REST) what was pushed while anonymous, so a restart changes nothing that
/// reaches Growlytics.
/// </summary>
public sealed class SessionRestartModelTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));

    private enum Op
    {
        PushCity,
        PushPlan,
        IdentifyU1,
        IdentifyU1WithPlan,
        IdentifyU2WithName,
        Logout,
        Restart,
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task SeededSequencesWithRestarts_SendWhatTheModelSays(GrowlyticsProtocol protocol)
    {
        var random = new Random(104);
        var ops = Enum.GetValues<Op>();
        for (var run = 0; run < 12; run++)
        {
            var sequence = Enumerable.Range(0, 7).Select(_ => ops[random.Next(ops.Length)]).ToArray();
            await RunAsync(protocol, sequence, Path.Combine(_root, run.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private static async Task RunAsync(GrowlyticsProtocol protocol, Op[] sequence, string folder)
    {
        var collector = new Collector(protocol);
        var text = string.Join(", ", sequence);
        var rest = protocol == GrowlyticsProtocol.Rest;
        var client = NewClient(protocol, folder, collector);
        var expected = new List<string>();
        var generations = new Dictionary<string, int>(StringComparer.Ordinal);
        var generation = 0;
        generations[client.User.AnonymousId] = 0;
        string? user = null;
        var held = new List<(string Name, string Value)>();
        try
        {
            for (var step = 0; step < sequence.Length; step++)
            {
                var value = "v" + step;
                var rotated = false;
                switch (sequence[step])
                {
                    case Op.PushCity or Op.PushPlan:
                        var name = sequence[step] == Op.PushCity ? "city" : "plan";
                        client.User.Push(new Dictionary<string, object?> { [name] = value });
                        if (rest && user is null)
                        {
                            Merge(held, (name, value));
                        }
                        else
                        {
                            expected.Add(Line(rest, "update", generation, user, name + "=" + value));
                        }

                        break;
                    case Op.IdentifyU1 or Op.IdentifyU1WithPlan or Op.IdentifyU2WithName:
                        var (id, attributes) = sequence[step] switch
                        {
                            Op.IdentifyU1 => ("u-1", Array.Empty<(string, string)>()),
                            Op.IdentifyU1WithPlan => ("u-1", [("plan", value)]),
                            _ => ("u-2", new[] { ("name", value) }),
                        };
                        client.User.Identify(id, attributes.ToDictionary(a => a.Item1, a => (object?)a.Item2));
                        if (user == id)
                        {
                            if (attributes.Length > 0)
                            {
                                expected.Add(Line(rest, "update", generation, user, Join(attributes)));
                            }

                            break;
                        }

                        if (user is not null)
                        {
                            if (!rest)
                            {
                                expected.Add(Line(rest, "logout", generation, user, string.Empty));
                            }

                            generation++;
                            rotated = true;
                        }

                        user = id;
                        if (!rest)
                        {
                            expected.Add(Line(rest, "login", generation, user, Join(attributes)));
                        }
                        else
                        {
                            foreach (var attribute in attributes)
                            {
                                Merge(held, attribute);
                            }

                            if (held.Count > 0)
                            {
                                expected.Add(Line(rest, "update", generation, user, Join([.. held])));
                            }

                            held.Clear();
                        }

                        break;
                    case Op.Logout:
                        client.User.Logout();
                        if (user is not null)
                        {
                            if (!rest)
                            {
                                expected.Add(Line(rest, "logout", generation, user, string.Empty));
                            }

                            user = null;
                            generation++;
                            rotated = true;
                        }

                        break;
                    case Op.Restart:
                        var anonymousId = client.User.AnonymousId;
                        await client.DisposeAsync();
                        client = NewClient(protocol, folder, collector);
                        client.User.AnonymousId.Should().Be(anonymousId, "step {0} of [{1}]: the session file restores the anonymous id", step, text);
                        break;
                }

                if (rotated)
                {
                    generations.Should().NotContainKey(client.User.AnonymousId, "step {0} of [{1}]: a new anonymous id", step, text);
                    generations[client.User.AnonymousId] = generation;
                }

                generations.Should().ContainKey(client.User.AnonymousId, "step {0} of [{1}]", step, text);
                generations[client.User.AnonymousId].Should().Be(generation, "step {0} of [{1}]", step, text);
                client.User.UserId.Should().Be(user, "step {0} of [{1}]", step, text);
                await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
                collector.Lines(generations).Should().Equal(expected, "after step {0} of [{1}]", step, text);
            }

            await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var statistics = client.Statistics;
            (statistics.Dropped, statistics.Enqueued - statistics.Delivered - statistics.Pending).Should().Be((0, 0), "[{0}]", text);
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    private static void Merge(List<(string Name, string Value)> held, (string Name, string Value) attribute)
    {
        var at = held.FindIndex(h => h.Name == attribute.Name);
        if (at >= 0)
        {
            held[at] = attribute;
        }
        else
        {
            held.Add(attribute);
        }
    }

    private static string Join((string Name, string Value)[] attributes) => string.Join(";", attributes.Select(a => a.Name + "=" + a.Value));

    private static string Line(bool rest, string type, int generation, string? user, string attributes) =>
        rest ? "customer " + user + " " + attributes : type + " anon#" + generation + " " + (user ?? "-") + " " + attributes;

    private static GrowlyticsClient NewClient(GrowlyticsProtocol protocol, string folder, Collector collector) => new(new GrowlyticsOptions
    {
        ApiKey = "k",
        Endpoint = new Uri("http://127.0.0.1:9/"),
        HttpClient = new HttpClient(collector),
        StorageDirectory = folder,
        Protocol = protocol,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    });

    private sealed class Collector(GrowlyticsProtocol protocol) : HttpMessageHandler
    {
        private readonly ConcurrentQueue<Func<IReadOnlyDictionary<string, int>, string>> _lines = new();

        public List<string> Lines(IReadOnlyDictionary<string, int> generations) => _lines.Select(l => l(generations)).ToList();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            if (protocol == GrowlyticsProtocol.Rest)
            {
                var customer = WireBody.RestCustomer(body);
                var text = "customer " + customer.GetProperty("id").GetString() + " " + string.Join(";", customer.GetProperty("attributes").EnumerateArray().Select(a => a.GetProperty("name").GetString() + "=" + a.GetProperty("value")));
                _lines.Enqueue(_ => text);
            }
            else
            {
                foreach (var message in WireBody.BatchMessages(body))
                {
                    var type = message.GetProperty("type").GetString();
                    var anonymousId = message.GetProperty("anonymousId").GetString()!;
                    var user = message.GetProperty("userId").GetString() ?? "-";
                    var attributes = message.TryGetProperty("attributes", out var list)
                        ? string.Join(";", list.EnumerateArray().Select(a => a.GetProperty("name").GetString() + "=" + a.GetProperty("value")))
                        : string.Empty;
                    _lines.Enqueue(g => type + " anon#" + (g.TryGetValue(anonymousId, out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : anonymousId) + " " + user + " " + attributes);
                }
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
