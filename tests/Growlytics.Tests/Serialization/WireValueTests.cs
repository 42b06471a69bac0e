using System.Numerics;
using System.Text.Json;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>
/// The exact wire JSON of each accepted value type: numbers with all their digits, dates as UTC
/// <c>yyyy-MM-dd HH:mm:ss</c>, strings escaped only where JSON requires it.
/// </summary>
public sealed class WireValueTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public static TheoryData<string, object, string> Numbers => new()
    {
        { "sbyte min", sbyte.MinValue, "-128" },
        { "byte max", byte.MaxValue, "255" },
        { "short min", short.MinValue, "-32768" },
        { "ushort max", ushort.MaxValue, "65535" },
        { "int min", int.MinValue, "-2147483648" },
        { "uint max", uint.MaxValue, "4294967295" },
        { "long max", long.MaxValue, "9223372036854775807" },
        { "long min", long.MinValue, "-9223372036854775808" },
        { "2^53 + 1, beyond double precision", 9_007_199_254_740_993L, "9007199254740993" },
        { "ulong max", ulong.MaxValue, "18446744073709551615" },
        { "decimal max", decimal.MaxValue, "79228162514264337593543950335" },
        { "decimal min", decimal.MinValue, "-79228162514264337593543950335" },
        { "decimal with 29 significant digits", 1234567890.1234567890123456789m, "1234567890.1234567890123456789" },
        { "decimal smallest step", -0.0000000000000000000000000001m, "-0.0000000000000000000000000001" },
        { "decimal keeps its scale", 1.50m, "1.50" },
        { "BigInteger 10^40 + 1", BigInteger.Pow(10, 40) + 1, "10000000000000000000000000000000000000001" },
        { "BigInteger huge negative", -BigInteger.Pow(2, 200), "-1606938044258990275541962092341162602522202993782792835301376" },
        { "BigInteger zero", BigInteger.Zero, "0" },
        { "float", 0.1f, "0.1" },
        { "float max", float.MaxValue, "3.4028235E+38" },
        { "double sum with binary error", 0.1 + 0.2, "0.30000000000000004" },
        { "double max", double.MaxValue, "1.7976931348623157E+308" },
        { "double epsilon", double.Epsilon, "5E-324" },
        { "double large integral", 1e21, "1E+21" },
    };

    public static TheoryData<string, object, string> Dates => new()
    {
        { "DateTime UTC, milliseconds dropped", new DateTime(2025, 1, 2, 3, 4, 5, 999, DateTimeKind.Utc), "2025-01-02 03:04:05" },
        { "DateTime unspecified taken as UTC", new DateTime(2025, 12, 31, 23, 59, 59, DateTimeKind.Unspecified), "2025-12-31 23:59:59" },
        { "DateTime local converted to UTC", new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc).ToLocalTime(), "2025-06-01 12:00:00" },
        { "DateTime min", DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), "0001-01-01 00:00:00" },
        { "DateTime max", DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc), "9999-12-31 23:59:59" },
        { "DateTimeOffset +05:30", new DateTimeOffset(2025, 1, 2, 8, 34, 5, TimeSpan.FromHours(5.5)), "2025-01-02 03:04:05" },
        { "DateTimeOffset -08:00 crossing midnight", new DateTimeOffset(2025, 12, 31, 20, 0, 0, TimeSpan.FromHours(-8)), "2026-01-01 04:00:00" },
        { "DateTimeOffset +05:00 back to the previous year", new DateTimeOffset(2025, 1, 1, 1, 0, 0, TimeSpan.FromHours(5)), "2024-12-31 20:00:00" },
    };

    /// <summary>Types only the net8.0 build reads.</summary>
    public static TheoryData<string, object, string> Net8Numbers => new()
    {
        { "Int128 max", Int128.MaxValue, "170141183460469231731687303715884105727" },
        { "Int128 min", Int128.MinValue, "-170141183460469231731687303715884105728" },
        { "UInt128 max", UInt128.MaxValue, "340282366920938463463374607431768211455" },
        { "Half", (Half)(-1.5), "-1.5" },
        { "Half max (shortest round-trip form)", Half.MaxValue, "65500" },
        { "Half epsilon", Half.Epsilon, "6E-08" },
    };

    public static TheoryData<string, object, string> Net8Dates => new()
    {
        { "DateOnly", new DateOnly(2024, 2, 29), "2024-02-29 00:00:00" },
    };

    public static TheoryData<string, object, string> Strings => new()
    {
        { "plain", "San Francisco", "\"San Francisco\"" },
        { "empty", string.Empty, "\"\"" },
        { "quotes and backslash", "He said \"hi\" \\o/", "\"He said \\\"hi\\\" \\\\o/\"" },
        { "short escapes", "a\tb\rc\nd\be\ff", "\"a\\tb\\rc\\nd\\be\\ff\"" },
        { "other control characters", "\u0000\u0001\u001f\u007f", "\"\\u0000\\u0001\\u001F\\u007F\"" },
        { "C1 controls", "\u0080\u009F", "\"\\u0080\\u009F\"" },
        { "line and paragraph separators", "\u2028\u2029", "\"\\u2028\\u2029\"" },
        { "non-ASCII kept as UTF-8", "Zürich, München, 東京, मुंबई", "\"Zürich, München, 東京, मुंबई\"" },
        { "HTML-sensitive characters kept", "<b>&'</b>", "\"<b>&'</b>\"" },
        { "emoji as a surrogate pair escape", "ok 😀", "\"ok \\uD83D\\uDE00\"" },
        { "char", 'x', "\"x\"" },
        { "char quote", '"', "\"\\\"\"" },
        { "char control", '\n', "\"\\n\"" },
        { "char non-ASCII", 'é', "\"é\"" },
    };

    public void Dispose() => _harness.Dispose();

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Serialize_NumberValue_WritesAJsonNumberWithAllDigits(string because, object value, string expected)
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["n"] = value });

        json.Should().Be("[{\"name\":\"n\",\"type\":\"number\",\"value\":" + expected + "}]", because);
        JsonDocument.Parse(json).RootElement[0].GetProperty("value").ValueKind.Should().Be(JsonValueKind.Number);
    }

    [Theory]
    [Trait("Requires", "net8")]
    [MemberData(nameof(Net8Numbers))]
    public void Serialize_Net8NumberValue_WritesAJsonNumberWithAllDigits(string because, object value, string expected) =>
        Serialize_NumberValue_WritesAJsonNumberWithAllDigits(because, value, expected);

    [Theory]
    [MemberData(nameof(Dates))]
    public void Serialize_DateValue_WritesUtcInTheGrowlyticsDateFormat(string because, object value, string expected)
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["d"] = value });

        json.Should().Be("[{\"name\":\"d\",\"type\":\"date\",\"value\":\"" + expected + "\"}]", because);
    }

    [Theory]
    [Trait("Requires", "net8")]
    [MemberData(nameof(Net8Dates))]
    public void Serialize_Net8DateValue_WritesUtcInTheGrowlyticsDateFormat(string because, object value, string expected) =>
        Serialize_DateValue_WritesUtcInTheGrowlyticsDateFormat(because, value, expected);

    [Theory]
    [MemberData(nameof(Strings))]
    public void Serialize_StringOrCharValue_EscapesOnlyWhatJsonNeeds(string because, object value, string expected)
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["s"] = value });

        json.Should().Be("[{\"name\":\"s\",\"type\":\"string\",\"value\":" + expected + "}]", because);
        if (value is string s)
        {
            JsonDocument.Parse(json).RootElement[0].GetProperty("value").GetString().Should().Be(s, "the JSON reads back to the original string");
        }
    }

    [Fact]
    public void Serialize_StringWithLoneSurrogate_IsRefusedAtTheCallSoNothingIsWrittenAltered()
    {
        // Its UTF-8 form would be U+FFFD: the value is refused rather than sent as something else (UnpairedSurrogateTests).
        var push = () => _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["s"] = "a\uD800b" });

        push.Should().Throw<GrowlyticsValidationException>().WithMessage("*unpaired surrogate*");
    }

    [Fact]
    public void Serialize_Booleans_WritesJsonTrueAndFalse()
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["yes"] = true, ["no"] = false });

        json.Should().Be("[{\"name\":\"yes\",\"type\":\"boolean\",\"value\":true},{\"name\":\"no\",\"type\":\"boolean\",\"value\":false}]");
    }

    [Fact]
    public void Serialize_AttributeNameNeedingEscapes_EscapesTheName()
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?> { ["say \"ü\" 😀"] = 1 });

        json.Should().Be("[{\"name\":\"say \\\"ü\\\" \\uD83D\\uDE00\",\"type\":\"number\",\"value\":1}]");
    }

    [Fact]
    public void Serialize_ReservedNamesInAnyCase_AreWrittenInLowerCase()
    {
        var json = _harness.AttributesJsonOfPush(new Dictionary<string, object?>
        {
            ["NAME"] = "John Wick",
            ["Email"] = "john@gmail.com",
            ["mObIlE"] = "+91 98765 43210",
            ["Names"] = "not reserved",
        });

        json.Should().Be(
            "[{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},"
            + "{\"name\":\"email\",\"type\":\"string\",\"value\":\"john@gmail.com\"},"
            + "{\"name\":\"mobile\",\"type\":\"string\",\"value\":\"+91 98765 43210\"},"
            + "{\"name\":\"Names\",\"type\":\"string\",\"value\":\"not reserved\"}]");
    }
}
