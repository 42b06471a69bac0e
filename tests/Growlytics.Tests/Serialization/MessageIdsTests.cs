using System.Globalization;
using System.Reflection;
using System.Text;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>
/// Message ids have the shape of a UUID: the process's 64 random bits in the first three groups, the message's sequence
/// number in the last two, lowercase hex throughout, the same bytes as text and as UTF-8.
/// </summary>
public sealed class MessageIdsTests
{
    [Theory]
    [InlineData(0L, "0000-000000000000")]
    [InlineData(1L, "0000-000000000001")]
    [InlineData(0x0123_4567_89AB_CDEFL, "0123-456789abcdef")]
    [InlineData(long.MaxValue, "7fff-ffffffffffff")]
    [InlineData(-1L, "ffff-ffffffffffff")]
    public void Format_EndsWithTheSequenceInHex_AfterTheProcessPrefix(long sequence, string suffix)
    {
        var id = MessageIds.Format(sequence);

        id.Should().MatchRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
        id.Should().HaveLength(MessageIds.Length);
        id.Should().Be(ExpectedPrefix() + suffix);
    }

    [Fact]
    public void FormatUtf8_WritesTheIdAsAsciiBytes()
    {
        foreach (var sequence in new[] { 0L, 42L, 0x0123_4567_89AB_CDEFL, long.MinValue, -1L })
        {
            var utf8 = new byte[MessageIds.Length];
            MessageIds.FormatUtf8(sequence, utf8);

            var hex = ((ulong)sequence).ToString("x16", CultureInfo.InvariantCulture);
            Encoding.ASCII.GetString(utf8).Should().Be($"{ExpectedPrefix()}{hex.Substring(0, 4)}-{hex.Substring(4)}");
        }
    }

    [Fact]
    public void Next_GivesIdsThatDifferOnlyInTheirSequence()
    {
        var first = MessageIds.Format(MessageIds.Next());
        var second = MessageIds.Format(MessageIds.Next());

        second.Should().NotBe(first);
        second.Substring(0, 19).Should().Be(first.Substring(0, 19));
    }

    // The first three groups, formatted here from the random bits themselves: the high 32 bits, then two groups of 16.
    private static string ExpectedPrefix()
    {
        var field = typeof(MessageIds).GetField("Prefix", BindingFlags.NonPublic | BindingFlags.Static)!;
        var hex = ((ulong)field.GetValue(null)!).ToString("x16", CultureInfo.InvariantCulture);
        return $"{hex.Substring(0, 8)}-{hex.Substring(8, 4)}-{hex.Substring(12, 4)}-";
    }
}
