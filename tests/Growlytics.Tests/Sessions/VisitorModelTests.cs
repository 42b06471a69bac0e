using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST, a visitor across requests as the ASP.NET Core middleware opens them (<c>BeginScope(cookie, authenticated user)</c>,
/// the cookie written back as the session's anonymous id): seeded sequences of requests and calls, time moving on,
/// compared with a model of docs/wire-protocol.md ("Held anonymous attributes"): which upserts are sent for whom, with which
/// attributes, and how many held pushes expire or are dropped.
/// </summary>
public sealed class VisitorModelTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(30);

    private enum Op
    {
        NewRequestAnonymous,
        NewRequestAsA,
        NewRequestWithoutCookie,
        PushCity,
        PushPlan,
        IdentifyA,
        IdentifyBWithName,
        Logout,
        Wait20Minutes,
    }

    [Fact]
    public void SeededRequestSequences_SendWhatTheModelSays()
    {
        var random = new Random(104);
        var ops = Enum.GetValues<Op>();
        for (var run = 0; run < 400; run++)
        {
            var sequence = Enumerable.Range(0, 10).Select(_ => ops[random.Next(ops.Length)]).ToArray();
            Run(sequence);
        }
    }

    private static void Run(Op[] sequence)
    {
        using var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.SessionMode = SessionMode.RequireScope;
            o.AnonymousAttributeRetention = Retention;
        });
        var text = string.Join(", ", sequence);
        var model = new Model();
        string? cookie = null;
        IDisposable? scope = null;
        try
        {
            for (var step = 0; step < sequence.Length; step++)
            {
                var op = sequence[step];
                var value = "v" + step;
                var sent = new List<string>();
                if (op is Op.NewRequestAnonymous or Op.NewRequestAsA or Op.NewRequestWithoutCookie or Op.Wait20Minutes || scope is null)
                {
                    // Ends the request; the browser keeps the id its response carried.
                    if (scope is not null)
                    {
                        cookie = harness.Client.User.AnonymousId;
                        scope.Dispose();
                        scope = null;
                    }

                    if (op == Op.Wait20Minutes)
                    {
                        harness.Time.Advance(TimeSpan.FromMinutes(20));
                        model.Advance(TimeSpan.FromMinutes(20));
                        continue;
                    }

                    var fromCookie = op == Op.NewRequestWithoutCookie ? null : cookie;
                    var user = op == Op.NewRequestAsA ? "A" : null;
                    scope = harness.Client.BeginScope(fromCookie, user);
                    model.Begin(fromCookie, harness.Client.User.AnonymousId, user, sent);
                    if (op is Op.NewRequestAnonymous or Op.NewRequestAsA or Op.NewRequestWithoutCookie)
                    {
                        Check(harness, model, sent, step, text);
                        continue;
                    }
                }

                var before = harness.Client.User.AnonymousId;
                switch (op)
                {
                    case Op.PushCity or Op.PushPlan:
                        var name = op == Op.PushCity ? "city" : "plan";
                        harness.Client.User.Push(new Dictionary<string, object?> { [name] = value });
                        model.Push((name, value), sent);
                        break;
                    case Op.IdentifyA:
                        harness.Client.User.Identify("A");
                        model.Identify("A", [], sent, () => harness.Client.User.AnonymousId);
                        break;
                    case Op.IdentifyBWithName:
                        harness.Client.User.Identify("B", new Dictionary<string, object?> { ["name"] = value });
                        model.Identify("B", [("name", value)], sent, () => harness.Client.User.AnonymousId);
                        break;
                    case Op.Logout:
                        harness.Client.User.Logout();
                        model.Logout(harness.Client.User.AnonymousId, sent);
                        break;
                }

                if (model.Rotated)
                {
                    harness.Client.User.AnonymousId.Should().NotBe(before, "step {0} of [{1}]", step, text);
                }
                else
                {
                    harness.Client.User.AnonymousId.Should().Be(before, "step {0} of [{1}]", step, text);
                }

                Check(harness, model, sent, step, text);
            }
        }
        finally
        {
            scope?.Dispose();
        }

        var statistics = harness.Client.Statistics;
        statistics.Enqueued.Should().Be(model.Accepted, "[{0}]", text);
        statistics.DroppedByReason.GetValueOrDefault(DropReason.AnonymousExpired).Should().Be(model.Expired, "[{0}]: held pushes that never met their login", text);
        (statistics.Enqueued - statistics.Dropped - statistics.Pending).Should().Be(0, "[{0}]", text);
    }

    private static void Check(CallerHarness harness, Model model, List<string> sent, int step, string text)
    {
        harness.Client.User.UserId.Should().Be(model.User, "step {0} of [{1}]", step, text);
        var actual = harness.Drain().Select(Describe).ToList();
        actual.Should().Equal(sent, "step {0} of [{1}]", step, text);
    }

    private static string Describe(UserMessage m) =>
        m.Type + " " + m.UserId + " " + string.Join(";", m.Attributes.Select(a => a.Name + "=" + a.Value)) + " calls=" + m.Calls;

    private sealed class Model
    {
        private readonly Dictionary<string, (List<(string Name, string Value)> Attributes, int Calls, TimeSpan Active)> _held = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string User, TimeSpan Active)> _logins = new(StringComparer.Ordinal);
        private TimeSpan _now;
        private string _anonymousId = string.Empty;
        private bool _continued;

        public string? User { get; private set; }

        public bool Rotated { get; private set; }

        public long Expired { get; private set; }

        public long Accepted { get; private set; }

        public void Advance(TimeSpan by)
        {
            _now += by;
            foreach (var (id, held) in _held.ToList())
            {
                if (_now - held.Active >= Retention)
                {
                    Expired += held.Calls;
                    _held.Remove(id);
                }
            }

            foreach (var (id, login) in _logins.ToList())
            {
                if (_now - login.Active >= Retention)
                {
                    _logins.Remove(id);
                }
            }
        }

        public void Begin(string? fromCookie, string anonymousId, string? user, List<string> sent)
        {
            _anonymousId = anonymousId;
            _continued = fromCookie is not null;
            User = user;
            if (user is not null)
            {
                // A request that starts signed in is the login of the id it carries (or of the new one it starts).
                Take(user, [], sent, counted: false);
            }
            else if (_continued)
            {
                Touch();
            }
        }

        public void Push((string Name, string Value) attribute, List<string> sent)
        {
            Rotated = false;
            Accepted++;
            if (User is not null)
            {
                sent.Add("Update " + User + " " + attribute.Name + "=" + attribute.Value + " calls=1");
                return;
            }

            Touch();
            var held = _held.TryGetValue(_anonymousId, out var h) ? h : ([], 0, _now);
            Merge(held.Attributes, attribute);
            _held[_anonymousId] = (held.Attributes, held.Calls + 1, _now);
        }

        public void Identify(string user, (string Name, string Value)[] attributes, List<string> sent, Func<string> anonymousId)
        {
            Rotated = false;
            if (User == user)
            {
                if (attributes.Length > 0)
                {
                    Accepted++;
                    sent.Add("Update " + user + " " + Join(attributes) + " calls=1");
                }

                return;
            }

            if (User is not null)
            {
                Rotated = true;
                _anonymousId = anonymousId();
            }

            User = user;
            Take(user, attributes, sent, counted: true);
        }

        public void Logout(string newAnonymousId, List<string> sent)
        {
            Rotated = false;
            if (User is null && !_continued)
            {
                return;
            }

            if (User is null)
            {
                // A continued visitor: what was held for the old id is dropped, the login it made stays remembered.
                Touch();
                if (_held.Remove(_anonymousId, out var dropped))
                {
                    Expired += dropped.Calls;
                }
            }

            User = null;
            Rotated = true;
            _anonymousId = newAnonymousId;
        }

        private void Touch()
        {
            if (_held.TryGetValue(_anonymousId, out var held))
            {
                _held[_anonymousId] = held with { Active = _now };
            }

            if (_logins.TryGetValue(_anonymousId, out var login))
            {
                _logins[_anonymousId] = login with { Active = _now };
            }
        }

        private void Take(string user, (string Name, string Value)[] attributes, List<string> sent, bool counted)
        {
            var previous = _logins.TryGetValue(_anonymousId, out var login) ? login.User : null;
            _logins[_anonymousId] = (user, _now);
            List<(string Name, string Value)> merged = [];
            var calls = 0;
            if (_held.Remove(_anonymousId, out var held))
            {
                if (previous is not null && previous != user)
                {
                    // Pushed after another user's login with this id: not this user's.
                    Expired += held.Calls;
                }
                else
                {
                    merged.AddRange(held.Attributes);
                    calls = held.Calls;
                }
            }

            foreach (var attribute in attributes)
            {
                Merge(merged, attribute);
            }

            if (merged.Count > 0)
            {
                Accepted += counted ? 1 : 0;
                sent.Add("Update " + user + " " + Join([.. merged]) + " calls=" + (calls + (counted ? 1 : 0)));
            }
        }

        private static void Merge(List<(string Name, string Value)> list, (string Name, string Value) attribute)
        {
            var at = list.FindIndex(h => h.Name == attribute.Name);
            if (at >= 0)
            {
                list[at] = attribute;
            }
            else
            {
                list.Add(attribute);
            }
        }

        private static string Join((string Name, string Value)[] attributes) => string.Join(";", attributes.Select(a => a.Name + "=" + a.Value));
    }
}
