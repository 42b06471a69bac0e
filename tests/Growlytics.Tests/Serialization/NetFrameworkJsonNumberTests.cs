#if GROWLYTICS_LIBRARY_NETSTANDARD
using System.Net;
using System.Reflection;
using System.Globalization;
using System.Runtime.Loader;
using CsCheck;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>
/// The netstandard2.0 build as a .NET Framework app runs it. .NET Framework has no System.Text.Json of its own: the app
/// gets the package's netstandard2.0 assembly, which writes a <see cref="double"/> with 17 significant digits and a
/// <see cref="float"/> with 9 (<c>0.1</c> as <c>0.10000000000000001</c>, <c>19.99f</c> as <c>19.9899998</c>), where
/// .NET's own writes the shortest text that round-trips, as docs/wire-protocol.md promises. The library is loaded here
/// with that assembly, in a load context of their own (the test process otherwise binds the runtime's).
/// </summary>
public sealed class NetFrameworkJsonNumberTests
{
    private static readonly Lazy<FrameworkJsonContext> Context = new(() => new FrameworkJsonContext());

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(1e21, "1E+21")]
    [InlineData(123.456, "123.456")]
    [InlineData(-2.5e-7, "-2.5E-07")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    [InlineData(double.Epsilon, "5E-324")]
    [InlineData(0.1f, "0.1")]
    [InlineData(19.99f, "19.99")]
    [InlineData(float.MaxValue, "3.4028235E+38")]
    [InlineData(float.Epsilon, "1E-45")]
    public async Task Push_FloatingPointValue_WithTheJsonAssemblyNetFrameworkGets_IsSentAsTheShortestTextThatRoundTrips(object value, string expected)
    {
        var sent = await Context.Value.SentValueAsync(value);

        sent.Should().Be(expected, "docs/wire-protocol.md: float and double are written as the shortest text that round-trips");
    }

    [Fact]
    public void ShortestText_AnyFiniteValue_ReadsBackAsItselfWithAsFewDigitsAsDotNetWrites()
    {
        Gen.Double.Where(double.IsFinite).Sample(d =>
        {
            var text = MessageJsonWriter.ShortestText(d);
            double.Parse(text, CultureInfo.InvariantCulture).Should().Be(d);
            Digits(text).Should().Be(Digits(d.ToString("R", CultureInfo.InvariantCulture)), "as short as .NET's own shortest form of {0:R}", d);
        });
        Gen.Float.Where(float.IsFinite).Sample(f =>
        {
            var text = MessageJsonWriter.ShortestText(f);
            float.Parse(text, CultureInfo.InvariantCulture).Should().Be(f);
            Digits(text).Should().Be(Digits(f.ToString("R", CultureInfo.InvariantCulture)), "as short as .NET's own shortest form of {0:R}", f);
        });
    }

    // The significant digits of a number's text (sign, point, exponent and leading or trailing zeros left out).
    private static int Digits(string text) =>
        text.Split('E')[0].TrimStart('-').Replace(".", string.Empty, StringComparison.Ordinal).Trim('0').Length;

    /// <summary>The library, and System.Text.Json's netstandard2.0 assembly, in a load context of their own.</summary>
    private sealed class FrameworkJsonContext : AssemblyLoadContext
    {
        private readonly string _jsonPath = Path.Combine(AppContext.BaseDirectory, "netfx", "System.Text.Json.dll");
        private readonly Assembly _library;

        public FrameworkJsonContext()
            : base("netfx-json")
        {
            _library = LoadFromAssemblyPath(typeof(GrowlyticsClient).Assembly.Location);
        }

        public async Task<string> SentValueAsync(object value)
        {
            var handler = new CapturingHandler();
            using var http = new HttpClient(handler);
            var options = Activator.CreateInstance(Type("GrowlyticsOptions"))!;
            Set(options, "ApiKey", "test-key");
            Set(options, "Endpoint", new Uri("http://127.0.0.1:9/"));
            Set(options, "FlushOnProcessExit", false);
            Set(options, "Protocol", Enum.Parse(Type("GrowlyticsProtocol"), "Batch"));
            Set(options, "HttpClient", http);
            var client = (IDisposable)Activator.CreateInstance(Type("GrowlyticsClient"), options)!;
            try
            {
                var user = client.GetType().GetProperty("User")!.GetValue(client)!;
                user.GetType().GetMethod("Push", [typeof(IReadOnlyDictionary<string, object?>)])!
                    .Invoke(user, [new Dictionary<string, object?> { ["n"] = value }]);
                await (Task)client.GetType().GetMethod("FlushAsync")!.Invoke(client, [CancellationToken.None])!;
            }
            finally
            {
                client.Dispose();
            }

            // Sent through the assembly .NET Framework gets, not the runtime's.
            Assemblies.Should().Contain(a => a.GetName().Name == "System.Text.Json" && a.Location == _jsonPath);
            handler.Bodies.Should().ContainSingle();
            var message = WireBody.BatchMessages(handler.Bodies.Single()).Should().ContainSingle().Subject;
            return message.GetProperty("attributes")[0].GetProperty("value").GetRawText();
        }

        protected override Assembly? Load(AssemblyName assemblyName) =>
            assemblyName.Name == "System.Text.Json" ? LoadFromAssemblyPath(_jsonPath) : null;

        private static void Set(object target, string property, object value) => target.GetType().GetProperty(property)!.SetValue(target, value);

        private Type Type(string name) => _library.GetType("GrowlyticsSdk." + name, throwOnError: true)!;
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public List<byte[]> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            lock (Bodies)
            {
                Bodies.Add(body);
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
        }
    }
}
#endif
