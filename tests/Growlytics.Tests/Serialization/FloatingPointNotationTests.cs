using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsCheck;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>
/// A <see cref="float"/> or <see cref="double"/> goes out as the same text from both builds of the library: the shortest
/// text that round-trips, in the notation .NET writes it (docs/wire-protocol.md; CHANGELOG: "as the net8.0 build does").
/// .NET writes a number in positional notation up to its type's round-trip digits (17 for a double, 9 for a float):
/// <c>1E+16</c> as <c>10000000000000000</c>, <c>1E+8f</c> as <c>100000000</c>. The netstandard2.0 build's own
/// formatting (used on .NET Framework, whose System.Text.Json writes 17 digits) switched to exponent notation from 15
/// and 6 digits, so the same value reached a collector as <c>1E+16</c> from one build and <c>10000000000000000</c> from
/// the other (a collector reading it into an integer refuses the first).
/// </summary>
public sealed class FloatingPointNotationTests : IDisposable
{
    private static readonly JsonWriterOptions NetWriter = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CallerHarness _harness = new();

    public static TheoryData<object, string> Values => new()
    {
        { 1e15, "1000000000000000" },
        { 1e16, "10000000000000000" },
        { 1.5e16, "15000000000000000" },
        { -3977667238750560.0, "-3977667238750560" },
        { 86103100908109820.0, "86103100908109820" },
        { 1e17, "1E+17" },
        { 1e-5, "1E-05" },
        { 0.0001, "0.0001" },
        { 1e7f, "10000000" },
        { 1e8f, "100000000" },
        { 123456789f, "123456790" },
        { -150000000f, "-150000000" },
        { 1e9f, "1E+09" },
        { -0.0, "-0" },
        { -0.0f, "-0" },
        { 0.0, "0" },
    };

    public void Dispose() => _harness.Dispose();

    [Theory]
    [MemberData(nameof(Values))]
    public void Push_FloatingPointValue_IsWrittenInTheNotationDotNetWritesIt(object value, string expected)
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["n"] = value });

        json.Should().Be("[{\"name\":\"n\",\"type\":\"number\",\"value\":" + expected + "}]", "both builds write what .NET's writer writes ({0})", NetText(value));
        NetText(value).Should().Be(expected, "the expected text is .NET's own");
    }

    [Fact]
    public void Push_AnyFiniteDouble_IsWrittenExactlyAsDotNetWritesIt()
    {
        // Integral values near 2^53 and beyond, where the notations part, as often as any others.
        var values = Gen.OneOf(Gen.Double.Where(double.IsFinite), Gen.Long.Select(l => (double)l), Gen.Double[-1e18, 1e18].Select(Math.Round));
        values.Sample(d => WrittenValue(d).Should().Be(NetText(d)), iter: 2_000, threads: 1);
    }

    [Fact]
    public void Push_AnyFiniteFloat_IsWrittenExactlyAsDotNetWritesIt()
    {
        var values = Gen.OneOf(Gen.Float.Where(float.IsFinite), Gen.Int.Select(i => (float)i), Gen.Float[-1e10f, 1e10f].Select(MathF.Round));
        values.Sample(f => WrittenValue(f).Should().Be(NetText(f)), iter: 2_000, threads: 1);
    }

    private string WrittenValue(object value)
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["n"] = value });
        return JsonDocument.Parse(json).RootElement[0].GetProperty("value").GetRawText();
    }

    // What System.Text.Json of .NET (the net8.0 build's writer) writes for the value.
    private static string NetText(object value)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, NetWriter))
        {
            if (value is float f)
            {
                writer.WriteNumberValue(f);
            }
            else
            {
                writer.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            }
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
