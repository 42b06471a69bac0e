using System.Text;
using GrowlyticsSdk.Protocols.Rest;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>
/// What the SDK keeps of a REST refusal body (422): the first detail's path and rule, never the value, on one line. A path
/// element is kept only if it is an index or a field name the request sent; a rule only if it looks like one.
/// </summary>
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

    [Theory]
    [InlineData("attributes.0.value", "any.invalid", "[\"attributes\",0,\"value\"]")]
    [InlineData("attributes.0.name", "string.max", "[\"attributes\",0,\"name\"]")]
    [InlineData("attributes.0.type", "any.only", "[\"attributes\",0,\"type\"]")]
    [InlineData("attributes", "array.max", "[\"attributes\"]")]
    [InlineData("id", "any.required", "[\"id\"]")]
    [InlineData("id", "string.max", "[\"id\"]")]
    [InlineData("attributes.12.value", "number.base", "[\"attributes\",12,\"value\"]")]
    [InlineData("attributes.99", "array.includesRequiredUnknowns", "[\"attributes\",99]")]
    [InlineData("attributes.0.value", "date.format", "[\"attributes\",0,\"value\"]")]
    [InlineData("attributes.0.value", "boolean.base", "[\"attributes\",0,\"value\"]")]
    [InlineData("attributes", "object.unknown", "[\"attributes\"]")]
    [InlineData("attributes.0.value", "alternatives.match", "[\"attributes\",0,\"value\"]")]
    public void Parse_TheDocumentedForms_AreKept(string path, string type, string pathJson) =>
        Parse("{\"details\":[{\"path\":" + pathJson + ",\"type\":\"" + type + "\"}]}").Should().BeEquivalentTo(new { Path = path, Type = type });

    [Fact]
    public void Parse_AValueInThePathOrTheRule_IsNotKept()
    {
        var details = Parse("""{"details":[{"path":["cust-secret-42-14"],"type":"pii-value-14@example.test is not allowed"}]}""");

        details.Should().NotBeNull();
        (details!.Path, details.Type).Should().Be(("?", (string?)null), "neither is a name the request sent or a rule's name");
    }

    [Fact]
    public void Parse_PathElementsThatAreNotIndexesOrSentNames_AreShownAsQuestionMarks()
    {
        var details = Parse("""{"details":[{"path":["attributes",-1,1.5,"Pune",{"a":"b"},["c"],true,100,9876543210,"value"],"type":"x"}]}""");

        details!.Path.Should().Be("attributes.?.?.?.?.?.?.?.?.value", "an index is below REST's 100 attributes per call; a larger number may be a value (a mobile number)");
    }

    [Fact]
    public void Parse_AnAttributeNameTheRequestSent_IsKeptAndItsValueIsNot()
    {
        var sent = Encoding.UTF8.GetBytes("""{"id":"c-1","attributes":[{"name":"city","type":"string","value":"Pune"},{"name":"coupon\u00e9","type":"string","value":"city"}]}""");

        Parse("""{"details":[{"path":["attributes","city"],"type":"string.max"}]}""", sent)!.Path.Should().Be("attributes.city");
        Parse("""{"details":[{"path":["attributes","couponé"],"type":"string.max"}]}""", sent)!.Path.Should().Be("attributes.couponé");
        Parse("""{"details":[{"path":["attributes","Pune"],"type":"string.max"}]}""", sent)!.Path.Should().Be("attributes.?", "a value, not a name");
        Parse("""{"details":[{"path":["c-1"],"type":"string.max"}]}""", sent)!.Path.Should().Be("?", "the customer id is a value");
    }

    [Theory]
    [InlineData("ci\u2028ty", "ci?ty")]
    [InlineData("ci\u202Ety", "ci?ty")]
    [InlineData("ci\U000E0041ty", "ci??ty")]
    [InlineData("ci\U0001F600ty", "ci\U0001F600ty")]
    [InlineData("city\U0001F600", "city\U0001F600")]
    [InlineData("city\U000E0041", "city??")]
    [InlineData("a\u2028b\u2029c", "a?b?c")]
    [InlineData("\u202Eci\U000E0041t\u2066y", "?ci??t?y")]
    public void Parse_ASentNameWithALineSeparatorOrAFormatCharacter_IsShownWithQuestionMarks(string name, string shown)
    {
        var sent = Encoding.UTF8.GetBytes("{\"id\":\"c-1\",\"attributes\":[{\"name\":\"" + name + "\",\"type\":\"string\",\"value\":\"x\"}]}");

        Parse("{\"details\":[{\"path\":[\"attributes\",\"" + name + "\"],\"type\":\"string.max\"}]}", sent)!.Path.Should().Be("attributes." + shown);
    }

    [Theory]
    [InlineData(128, "", 128, "")]
    [InlineData(129, "", 128, "")]
    [InlineData(126, "\U0001F600x", 126, "\U0001F600")]
    [InlineData(127, "\U0001F600x", 127, "")]
    public void Parse_ASentNameOfMoreThan128Characters_IsCutThereAndNeverInsideASurrogatePair(int letters, string tail, int shownLetters, string shownTail)
    {
        var name = new string('n', letters) + tail;
        var sent = Encoding.UTF8.GetBytes("{\"id\":\"c-1\",\"attributes\":[{\"name\":\"" + name + "\",\"type\":\"string\",\"value\":\"x\"}]}");

        Parse("{\"details\":[{\"path\":[\"" + name + "\"],\"type\":\"string.max\"}]}", sent)!.Path.Should().Be(new string('n', shownLetters) + shownTail);
    }

    [Fact]
    public void Parse_APathOfMoreThan16Elements_IsNotKept()
    {
        static string PathOf(int elements) => "[" + string.Join(",", Enumerable.Repeat("\"id\"", elements)) + "]";

        Parse("{\"details\":[{\"path\":" + PathOf(16) + ",\"type\":\"any.required\"}]}")!.Path.Should().Be(string.Join(".", Enumerable.Repeat("id", 16)));
        (Parse("{\"details\":[{\"path\":" + PathOf(17) + ",\"type\":\"any.required\"}]}")?.Path).Should().BeNull("the documented paths have at most 3 elements");
    }

    [Fact]
    public void Parse_ControlCharactersInThePathOrTheRule_AreNeverKeptSoTheLogLineCannotBeSplitOrColoured()
    {
        var details = Parse("""{"details":[{"path":["a\n\r\u001b[31mb"],"type":"rule\r\nFAKE LOG LINE"}]}""");

        details.Should().NotBeNull();
        (details!.Path, details.Type).Should().Be(("?", (string?)null));
    }

    [Theory]
    [InlineData("x\u202Eevil\u2066")]
    [InlineData("a\u2028b")]
    [InlineData("rule with spaces")]
    [InlineData("user@example.test")]
    [InlineData("string:max")]
    [InlineData("\uD83D\uDE00")]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("9876543210")]
    [InlineData("gold-2024")]
    [InlineData("c-1")]
    [InlineData("string_max")]
    [InlineData("String.max")]
    [InlineData("string.")]
    [InlineData("string..max")]
    [InlineData("string.2max")]
    [InlineData("john.smith")]
    [InlineData("gmail.com")]
    [InlineData("mail.example.test")]
    [InlineData("strings.max")]
    [InlineData("anyone.required")]
    [InlineData("string.max`")]
    [InlineData("string.max{")]
    [InlineData("string.@max")]
    [InlineData("string.m[")]
    [InlineData("string.m/")]
    [InlineData("string.m:")]
    public void Parse_ARuleNotShapedAsJoisRules_IsNotKept(string type) =>
        Parse("{\"details\":[{\"path\":[\"id\"],\"type\":\"" + type + "\"}]}")!.Type.Should().BeNull();

    [Theory]
    [InlineData("any.Zz09")]
    [InlineData("object.Aa")]
    [InlineData("string.base64")]
    [InlineData("array.sort.z9")]
    public void Parse_ARuleWithLettersAndDigitsAfterItsFamily_IsKept(string type) =>
        Parse("{\"details\":[{\"path\":[\"id\"],\"type\":\"" + type + "\"}]}")!.Type.Should().Be(type);

    [Fact]
    public void Parse_ARuleOfMoreThan64Characters_IsNotKept()
    {
        Parse("{\"details\":[{\"path\":[\"id\"],\"type\":\"string." + new string('x', 57) + "\"}]}")!.Type.Should().HaveLength(64);
        Parse("{\"details\":[{\"path\":[\"id\"],\"type\":\"string." + new string('x', 58) + "\"}]}")!.Type.Should().BeNull();
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"success\":false}")]
    [InlineData("{\"details\":[{\"message\":\"only a message\"}]}")]
    public void Parse_NotTheDocumentedShape_GivesNothing(string body) =>
        Parse(body).Should().BeNull();

    private static GrowlyticsSdk.Protocols.RejectionDetails? Parse(string body, byte[]? sent = null) =>
        RejectionBody.Parse(Encoding.UTF8.GetBytes(body), complete: true, sent);
}
