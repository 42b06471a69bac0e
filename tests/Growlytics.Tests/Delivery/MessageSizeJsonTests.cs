using System.Globalization;
using System.Text.Json;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A queued message counts its JSON toward <see cref="GrowlyticsOptions.MaxQueueBytes"/> from its call: a string value by
/// what the SDK's writer takes for it, never less for an assigned character, so a request's body built from the
/// message takes no room the message had not counted.
/// </summary>
public sealed class MessageSizeJsonTests
{
    [Fact]
    public void JsonStringLength_EveryAssignedCharacter_IsAtLeastWhatTheWriterWrites()
    {
        var under = new List<string>();
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var ch = (char)c;
            if (char.IsSurrogate(ch) || char.GetUnicodeCategory(ch) == UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            var text = new string(ch, 3);
            if (MessageSize.JsonStringLength(text) < Written(text))
            {
                under.Add(c.ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        under.Should().BeEmpty("the estimate may never be below what the writer writes for an assigned character");
    }

    [Fact]
    public void JsonStringLength_EveryAssignedCharacter_IsExactlyWhatTheWriterWrites()
    {
        // Counted above what the writer writes, a character made MaxQueueBytes refuse calls early and QueuedBytes read high
        // (general punctuation, dashes, curly quotes and the ellipsis, counted as escapes of six bytes, take UTF-8's three).
        var off = new List<string>();
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var ch = (char)c;
            if (char.IsSurrogate(ch) || char.GetUnicodeCategory(ch) == UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            var text = new string(ch, 3);
            if (MessageSize.JsonStringLength(text) != Written(text))
            {
                off.Add(c.ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        off.Should().BeEmpty("an assigned character is counted as the writer writes it");
    }

    [Fact]
    public void JsonStringLength_EveryAssignedSurrogatePair_IsExactlyWhatTheWriterWrites()
    {
        var off = new List<string>();
        for (var codePoint = 0x10000; codePoint <= 0x10FFFF; codePoint++)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            var text = char.ConvertFromUtf32(codePoint);
            if (MessageSize.JsonStringLength(text) != Written(text))
            {
                off.Add(codePoint.ToString("X5", CultureInfo.InvariantCulture));
            }
        }

        off.Should().BeEmpty("a character outside the BMP is written as two escapes, as counted");
    }

    [Theory]
    [InlineData("em \u2014 dash, \u201Ccurly\u201D quotes\u2026", 36)]
    [InlineData("thin\u2009space, line\u2028separator", 38)]
    [InlineData("zero\u200Bwidth \u2066isolate\u2069", 28)]
    [InlineData("tab\tnew line\nbell\u0007", 27)]
    public void JsonStringLength_PunctuationAndControls_AreWhatTheWriterWrites(string text, long expected)
    {
        MessageSize.JsonStringLength(text).Should().Be(Written(text)).And.Be(expected);
    }

    [Theory]
    [InlineData("Pune")]
    [InlineData("a \"quoted\" \\ path")]
    [InlineData("line\nbreak\ttab\u0001")]
    [InlineData("caf\u00E9 \u4E2D\u6587 \u2013 \u3000")]
    [InlineData("\U0001F600 smile")]
    [InlineData("\uE000 private")]
    public void JsonStringLength_Text_IsAtLeastWhatTheWriterWrites_AndExactForPrintableAscii(string text)
    {
        var written = Written(text);
        MessageSize.JsonStringLength(text).Should().BeGreaterThanOrEqualTo(written);
        if (text.All(c => c is >= ' ' and < '\u007F' and not '"' and not '\\'))
        {
            MessageSize.JsonStringLength(text).Should().Be(written, "printable ASCII is counted exactly");
        }
    }

    [Fact]
    public void JsonStringLength_CjkText_CountsThreeBytesACharacter()
    {
        // Text outside ASCII used to be counted a byte a character: the bodies of its requests took memory past the bound.
        var text = new string('\u4E2D', 500);
        MessageSize.JsonStringLength(text).Should().Be(Written(text)).And.Be(1_502);
    }

    private static long Written(string text)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, MessageJsonWriter.WriterOptions))
        {
            writer.WriteStringValue(text);
        }

        return stream.Length;
    }
}
