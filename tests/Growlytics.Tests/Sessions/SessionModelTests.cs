using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// Every short sequence of Push / Identify / Logout / Customers.Update, on both protocols, on the process-wide session and
/// in a scope, against a model of what the product document and docs/wire-protocol.md say reaches Growlytics: which
/// messages, for which anonymous id and user, with which attributes, in which order, and when the anonymous id changes.
/// </summary>
public sealed class SessionModelTests
{
    private static readonly Op[] Ops = Enum.GetValues<Op>();

    private enum Op
    {
        PushCity,
        PushPlan,
        PushOnlyNull,
        IdentifyU1,
        IdentifyU1WithPlan,
        IdentifyU2WithName,
        Logout,
        CustomerU1,
    }

    public static TheoryData<GrowlyticsProtocol, bool> Cases() => new()
    {
        { GrowlyticsProtocol.Batch, false },
        { GrowlyticsProtocol.Batch, true },
        { GrowlyticsProtocol.Rest, false },
        { GrowlyticsProtocol.Rest, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EverySequence_SendsWhatTheModelSays(GrowlyticsProtocol protocol, bool scoped)
    {
        using var harness = new CallerHarness(o => o.Protocol = protocol);
        var length = scoped ? 4 : 3;
        foreach (var sequence in Sequences(length))
        {
            if (scoped)
            {
                using (harness.Client.BeginScope())
                {
                    Run(harness, protocol, sequence);
                }
            }
            else
            {
                using var fresh = new CallerHarness(o => o.Protocol = protocol);
                Run(fresh, protocol, sequence);
            }
        }
    }

    private static IEnumerable<Op[]> Sequences(int length)
    {
        IEnumerable<Op[]> all = [[]];
        for (var i = 0; i < length; i++)
        {
            all = all.SelectMany(s => Ops.Select(op => (Op[])[.. s, op]));
            foreach (var s in all)
            {
                yield return s;
            }
        }
    }

    private static void Run(CallerHarness harness, GrowlyticsProtocol protocol, Op[] sequence)
    {
        var model = new Model(protocol, harness.User.AnonymousId);
        var seen = new HashSet<string> { harness.User.AnonymousId };
        var text = string.Join(", ", sequence);
        var start = harness.Client.Statistics;
        for (var step = 0; step < sequence.Length; step++)
        {
            var value = "v" + step;
            var before = harness.User.AnonymousId;
            var expected = model.Apply(sequence[step], value);
            Call(harness, sequence[step], value);
            var after = harness.User.AnonymousId;

            if (model.Rotated)
            {
                after.Should().NotBe(before, "step {0} of [{1}] starts a fresh anonymous id", step, text);
                seen.Add(after).Should().BeTrue("a fresh anonymous id is new, step {0} of [{1}]", step, text);
            }
            else
            {
                after.Should().Be(before, "step {0} of [{1}] keeps the anonymous id", step, text);
            }

            harness.User.UserId.Should().Be(model.User, "step {0} of [{1}]", step, text);
            var actual = harness.Drain().Select(m => Describe(m, before, after, protocol)).ToList();
            actual.Should().Equal(expected.Select(e => e.ToString()), "step {0} of [{1}]", step, text);
        }

        var statistics = harness.Client.Statistics;
        (statistics.Enqueued - start.Enqueued).Should().Be(model.Accepted, "[{0}]: accepted calls", text);
        (statistics.Pending - start.Pending).Should().Be(model.Accepted, "[{0}]: nothing is delivered (no delivery loop) nor dropped", text);
        (statistics.Dropped - start.Dropped).Should().Be(0, "[{0}]", text);
    }

    private static void Call(CallerHarness harness, Op op, string value)
    {
        switch (op)
        {
            case Op.PushCity:
                harness.User.Push(new Dictionary<string, object?> { ["city"] = value });
                break;
            case Op.PushPlan:
                harness.User.Push(new Dictionary<string, object?> { ["plan"] = value });
                break;
            case Op.PushOnlyNull:
                harness.User.Push(new Dictionary<string, object?> { ["gone"] = null });
                break;
            case Op.IdentifyU1:
                harness.User.Identify("u-1");
                break;
            case Op.IdentifyU1WithPlan:
                harness.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = value });
                break;
            case Op.IdentifyU2WithName:
                harness.User.Identify("u-2", new Dictionary<string, object?> { ["name"] = value });
                break;
            case Op.Logout:
                harness.User.Logout();
                break;
            case Op.CustomerU1:
                harness.Client.Customers.Update("u-1", new Dictionary<string, object?> { ["tier"] = value });
                break;
        }
    }

    private static string Describe(UserMessage m, string before, string after, GrowlyticsProtocol protocol)
    {
        // REST sends no anonymous id: only the batch protocol's are compared.
        var anonymous = m.AnonymousId is null ? "none" : protocol == GrowlyticsProtocol.Rest ? "-" : m.AnonymousId == before ? "before" : m.AnonymousId == after ? "after" : "other:" + m.AnonymousId;
        return new Expected(m.Type, anonymous, m.UserId, string.Join(";", m.Attributes.Select(a => a.Name + "=" + a.Value)), m.Calls).ToString();
    }

    private sealed record Expected(MessageType Type, string Anonymous, string? User, string Attributes, int Calls);

    /// <summary>What the documents say each call sends, and the session after it.</summary>
    private sealed class Model(GrowlyticsProtocol protocol, string anonymousId)
    {
        private readonly List<(string Name, string Value)> _held = [];
        private int _heldCalls;

        public string? User { get; private set; }

        public bool Rotated { get; private set; }

        public long Accepted { get; private set; }

        private bool Rest => protocol == GrowlyticsProtocol.Rest;

        public List<Expected> Apply(Op op, string value)
        {
            _ = anonymousId;
            Rotated = false;
            var sent = new List<Expected>();
            switch (op)
            {
                case Op.PushCity:
                    Push(sent, ("city", value));
                    break;
                case Op.PushPlan:
                    Push(sent, ("plan", value));
                    break;
                case Op.PushOnlyNull:
                    // Nothing left once null values are skipped: no message, nothing counted.
                    break;
                case Op.IdentifyU1:
                    Identify(sent, "u-1", []);
                    break;
                case Op.IdentifyU1WithPlan:
                    Identify(sent, "u-1", [("plan", value)]);
                    break;
                case Op.IdentifyU2WithName:
                    Identify(sent, "u-2", [("name", value)]);
                    break;
                case Op.Logout:
                    if (User is not null)
                    {
                        LogOut(sent);
                    }

                    break;
                case Op.CustomerU1:
                    Accepted++;
                    sent.Add(new Expected(MessageType.Update, "none", "u-1", "tier=" + value, 1));
                    break;
            }

            return sent;
        }

        private void Push(List<Expected> sent, (string Name, string Value) attribute)
        {
            Accepted++;
            if (Rest && User is null)
            {
                var at = _held.FindIndex(h => h.Name == attribute.Name);
                if (at >= 0)
                {
                    _held[at] = attribute;
                }
                else
                {
                    _held.Add(attribute);
                }

                _heldCalls++;
                return;
            }

            sent.Add(new Expected(MessageType.Update, Rest ? "-" : "before", User, attribute.Name + "=" + attribute.Value, 1));
        }

        private void Identify(List<Expected> sent, string user, (string Name, string Value)[] attributes)
        {
            if (User == user)
            {
                // Same user again: an attribute update, no logout.
                if (attributes.Length > 0)
                {
                    Accepted++;
                    sent.Add(new Expected(MessageType.Update, Rest ? "-" : "before", user, Join(attributes), 1));
                }

                return;
            }

            if (User is not null)
            {
                // Another user while one is identified: logged out first, with a new anonymous id.
                LogOut(sent);
            }

            User = user;
            if (!Rest)
            {
                Accepted++;
                sent.Add(new Expected(MessageType.Login, Rotated ? "after" : "before", user, Join(attributes), 1));
                return;
            }

            var merged = new List<(string Name, string Value)>(_held);
            foreach (var attribute in attributes)
            {
                var at = merged.FindIndex(h => h.Name == attribute.Name);
                if (at >= 0)
                {
                    merged[at] = attribute;
                }
                else
                {
                    merged.Add(attribute);
                }
            }

            if (merged.Count > 0)
            {
                // The held pushes were counted when held; the login is one more call.
                Accepted++;
                sent.Add(new Expected(MessageType.Update, "-", user, Join([.. merged]), 1 + _heldCalls));
            }

            _held.Clear();
            _heldCalls = 0;
        }

        private void LogOut(List<Expected> sent)
        {
            if (!Rest)
            {
                Accepted++;
                sent.Add(new Expected(MessageType.Logout, "before", User, string.Empty, 1));
            }

            User = null;
            Rotated = true;
        }

        private static string Join((string Name, string Value)[] attributes) => string.Join(";", attributes.Select(a => a.Name + "=" + a.Value));
    }
}
