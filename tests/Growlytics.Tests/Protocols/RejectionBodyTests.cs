using System.Text;
using GrowlyticsSdk.Protocols.Rest;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>What the SDK keeps of a REST refusal body (422): the first detail's path and rule, never the value, on one line.</summary>
public sealed class RejectionBodyTests
{
    [Fact]
    public void Parse_DocumentedRefusal_KeepsThePathAndTheRuleAndNotTheValue()
    {
        var details = Parse("""
            {"type":"ValidationError","details":[
              {"message":"\"value\" SECRET-9 is invalid","path":["attributes",0,"value"],"type":"any.invalid","context":{"value":"SECRET-9"}},
              {"path":["id"],"type":"string.max"}]}
            """);

        details.Should().NotBeNull();
        (details!.Path, details.Type).Should().Be(("attributes.0.value", "any.invalid"));
    }

    [Fact]
    public void Parse_ControlCharactersInThePathOrTheRule_AreReplacedSoTheLogLineCannotBeSplitOrColoured()
    {
        var details = Parse("""{"details":[{"path":["a\n\r\u001b[31mb"],"type":"rule\r\nFAKE LOG LINE"}]}""");

        details.Should().NotBeNull();
        (details!.Path, details.Type).Should().Be(("a???[31mb", "rule??FAKE LOG LINE"));
    }

    [Fact]
    public void Parse_UnicodeLineSeparatorsAndDirectionOverrides_AreReplacedToo()
    {
        var details = Parse("{\"details\":[{\"path\":[\"a\u2028b\u2029c\"],\"type\":\"x\u202Eevil\u2066\"}]}");

        (details!.Path, details.Type).Should().Be(("a?b?c", "x?evil?"));
    }

    [Fact]
    public void Parse_ACutThatWouldSplitASurrogatePair_EndsBeforeThePair()
    {
        var details = Parse("{\"details\":[{\"type\":\"" + new string('x', 127) + "\uD83D\uDE00tail\"}]}");

        details!.Type.Should().Be(new string('x', 127));
    }

    [Fact]
    public void Parse_AVeryLongRule_IsCutTo128Characters()
    {
        var details = Parse("{\"details\":[{\"type\":\"" + new string('x', 500) + "\"}]}");

        details!.Type.Should().HaveLength(128);
        details.Path.Should().BeNull();
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"success\":false}")]
    [InlineData("{\"details\":[{\"message\":\"only a message\"}]}")]
    public void Parse_NotTheDocumentedShape_GivesNothing(string body) =>
        Parse(body).Should().BeNull();

    private static GrowlyticsSdk.Protocols.RejectionDetails? Parse(string body) =>
        RejectionBody.Parse(Encoding.UTF8.GetBytes(body), complete: true);
}
