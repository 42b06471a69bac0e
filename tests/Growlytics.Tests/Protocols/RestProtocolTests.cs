using System.IO.Compression;
using System.Net;
using System.Numerics;
using System.Text;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Protocols.Rest;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using GrowlyticsSdk.Validation;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>The REST upsert body, request and refusal reading, pinned byte for byte.</summary>
public sealed class RestProtocolTests
{
    private const string Anonymous = "qnm78HZN8HbF4DeOKXg0kw";

    private const string DocumentedRejection =
        "{\"type\":\"ValidationError\",\"details\":[{\"message\":\"\\\"value\\\" length must be less than or equal to 512 characters long\","
        + "\"path\":[\"attributes\",0,\"value\"],\"type\":\"string.max\",\"context\":{\"limit\":512,\"value\":\"Secret-Value\",\"key\":\"value\"}}]}";

    private const string CutInsideTheDetail = "{\"details\":[{\"path\":[\"id\"],\"type\":\"any.required\",\"message\":\"\\\"id\\\" is requ";

    private static readonly RestProtocol Protocol = new(new GrowlyticsOptions { Endpoint = new Uri("https://dcqs-india.growlytics.in/") });

    [Fact]
    public void Properties_OneCustomerPerRequest_SentWithoutWaiting()
    {
        Protocol.MaxMessagesPerRequest.Should().Be(1);
        Protocol.WaitsToFill.Should().BeFalse();
    }

    [Fact]
    public void Serialize_IdentifiedUpdate_WritesTheDocumentedUpsert()
    {
        var message = Message("THE_USER_ID_IN_YOUR_APP",
            new("name", "John Wick"),
            new("email", "john@gmail.com"),
            new("totalPurchaseTillNow", 30000),
            new("isFirstTimePurchaser", true),
            new("lastOrderDate", new DateTime(2026, 11, 28, 15, 17, 7, DateTimeKind.Utc)));

        Json(message).Should().Be(
            "{\"id\":\"THE_USER_ID_IN_YOUR_APP\",\"attributes\":["
            + "{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},"
            + "{\"name\":\"email\",\"type\":\"string\",\"value\":\"john@gmail.com\"},"
            + "{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":30000},"
            + "{\"name\":\"isFirstTimePurchaser\",\"type\":\"boolean\",\"value\":true},"
            + "{\"name\":\"lastOrderDate\",\"type\":\"date\",\"value\":\"2026-11-28 15:17:07\"}]}");
    }

    [Fact]
    public void Serialize_LargeNumbersAndOffsetDates_WritesAllDigitsAndUtc()
    {
        var big = BigInteger.Parse("123456789012345678901234567890123456789", System.Globalization.CultureInfo.InvariantCulture);
        var message = Message("u-1",
            new("big", big),
            new("max", ulong.MaxValue),
            new("price", 1.50m),
            new("at", new DateTimeOffset(2026, 1, 1, 5, 30, 0, TimeSpan.FromHours(5.5))),
            new("letter", 'x'));

        Json(message).Should().Be(
            "{\"id\":\"u-1\",\"attributes\":["
            + "{\"name\":\"big\",\"type\":\"number\",\"value\":123456789012345678901234567890123456789},"
            + "{\"name\":\"max\",\"type\":\"number\",\"value\":18446744073709551615},"
            + "{\"name\":\"price\",\"type\":\"number\",\"value\":1.50},"
            + "{\"name\":\"at\",\"type\":\"date\",\"value\":\"2026-01-01 00:00:00\"},"
            + "{\"name\":\"letter\",\"type\":\"string\",\"value\":\"x\"}]}");
    }

    [Fact]
    public void Serialize_CustomerUpdateWithoutAnonymousId_WritesTheCustomerId()
    {
        var message = new UserMessage(MessageType.Update, 1, CallerHarness.Now, null, "c-9", [new("plan", "pro")]);

        Json(message).Should().Be("{\"id\":\"c-9\",\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"}]}");
    }

    [Fact]
    public void Serialize_LoginMessage_IsAnUpsertToo()
    {
        var message = new UserMessage(MessageType.Login, 1, CallerHarness.Now, Anonymous, "u-1", []);

        Json(message).Should().Be("{\"id\":\"u-1\",\"attributes\":[]}");
    }

    [Fact]
    public void Serialize_AnonymousUpdate_ThrowsBecauseRestHasNoAnonymousProfiles()
    {
        var message = new UserMessage(MessageType.Update, 1, CallerHarness.Now, Anonymous, null, [new("city", "Pune")]);

        RestProtocol.CanExpress(message).Should().BeFalse();
        var act = () => Protocol.Serialize(message, new ByteBufferWriter(64));
        act.Should().Throw<NotSupportedException>().Which.Message.Should().NotContain("Pune");
    }

    [Fact]
    public void Serialize_Logout_ThrowsBecauseRestHasNoLogout()
    {
        var message = new UserMessage(MessageType.Logout, 1, CallerHarness.Now, Anonymous, "u-1", []);

        RestProtocol.CanExpress(message).Should().BeFalse();
        var act = () => Protocol.Serialize(message, new ByteBufferWriter(64));
        act.Should().Throw<NotSupportedException>();
    }

    [Fact]
    public void CanSend_StoredMessagesBeyondTheRestLimits_AreNotSent()
    {
        static UserAttribute[] Numbers(int count, int nameLength = 2) =>
            [.. Enumerable.Range(0, count).Select(i => new UserAttribute(i.ToString("D" + nameLength, System.Globalization.CultureInfo.InvariantCulture), i))];

        Protocol.CanSend(Message("u-1", Numbers(100, nameLength: 49))).Should().BeTrue("100 attributes named with 49 characters are within the limits");
        Protocol.CanSend(new UserMessage(MessageType.Login, 1, CallerHarness.Now, Anonymous, "u-1", [])).Should().BeFalse("an upsert needs attributes");
        Protocol.CanSend(Message("u-1", Numbers(101))).Should().BeFalse("at most 100 attributes");
        Protocol.CanSend(Message("u-1", Numbers(1, nameLength: 50))).Should().BeFalse("names have fewer than 50 characters");
    }

    [Fact]
    public void PartitionKey_IdentifiedMessage_IsTheCustomerIdNotTheSession()
    {
        Protocol.PartitionKey(Message("u-1")).Should().Be("u-1");
        Protocol.PartitionKey(new UserMessage(MessageType.Update, 1, CallerHarness.Now, null, "c-2", [])).Should().Be("c-2");
        Protocol.PartitionKey(new UserMessage(MessageType.Update, 1, CallerHarness.Now, Anonymous, null, [])).Should().Be(Anonymous);
    }

    [Theory]
    [InlineData("https://dcqs-india.growlytics.in", "https://dcqs-india.growlytics.in/rest-api/customer")]
    [InlineData("https://dcqs-india.growlytics.in/", "https://dcqs-india.growlytics.in/rest-api/customer")]
    [InlineData("http://127.0.0.1:5080/relay", "http://127.0.0.1:5080/relay/rest-api/customer")]
    public void CreateRequest_AnyEndpointForm_PostsToRestApiCustomerUnderIt(string endpoint, string expected)
    {
        var protocol = new RestProtocol(new GrowlyticsOptions { Endpoint = new Uri(endpoint) });

        using var request = protocol.CreateRequest([new byte[] { 1 }], CallerHarness.Now);

        request.Method.Should().Be(HttpMethod.Post);
        request.RequestUri!.AbsoluteUri.Should().Be(expected);
    }

    [Fact]
    public async Task CreateRequest_OneUpsert_SendsPlainJsonWithJsonAcceptAndNoGzip()
    {
        var body = Protocol.Serialize(Message("u-1", new UserAttribute("city", "Zoë")), new ByteBufferWriter(64));

        using var request = Protocol.CreateRequest([body], CallerHarness.Now);

        request.Content!.Headers.ContentType!.ToString().Should().Be("application/json");
        request.Content.Headers.ContentEncoding.Should().BeEmpty();
        request.Headers.Accept.Select(a => a.ToString()).Should().Equal("application/json");
        request.Headers.Contains("traceparent").Should().BeFalse();
        (await request.Content.ReadAsByteArrayAsync()).Should().Equal(body);
        Encoding.UTF8.GetString(body).Should().Be("{\"id\":\"u-1\",\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"Zoë\"}]}");
    }

    [Fact]
    public async Task CreateRequest_BufferWrittenAgainAfterwards_TheBodyKeepsItsOwnBytes()
    {
        var buffer = new ByteBufferWriter(64);
        Protocol.Write(Message("u-1", new UserAttribute("plan", "pro")), buffer);
        var sent = buffer.WrittenSpan.ToArray();

        using var request = Protocol.CreateRequest([buffer.Slice(0, buffer.WrittenCount)], CallerHarness.Now);
        buffer.Clear();
        Protocol.Write(Message("u-2", new UserAttribute("plan", "max")), buffer);

        (await request.Content!.ReadAsByteArrayAsync()).Should().Equal(sent, "the dispatcher reuses a request's buffer once the request has been sent");
    }

    [Fact]
    public void CreateRequest_TwoMessages_Throws()
    {
        var act = () => Protocol.CreateRequest([new byte[] { 1 }, new byte[] { 2 }], CallerHarness.Now);

        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(199, 0)]
    [InlineData(200, RestProtocol.MaxSuccessBytes)]
    [InlineData(299, RestProtocol.MaxSuccessBytes)]
    [InlineData(300, 0)]
    [InlineData(399, 0)]
    [InlineData(400, RestProtocol.MaxRejectionBytes)]
    [InlineData(422, RestProtocol.MaxRejectionBytes)]
    [InlineData(499, RestProtocol.MaxRejectionBytes)]
    [InlineData(500, 0)]
    [InlineData(503, 0)]
    public void AnswerBytesToRead_SuccessesAndRefusalsAreRead_OtherAnswersAreNot(int status, int bytes) =>
        Protocol.AnswerBytesToRead(status).Should().Be(bytes, "a 2xx body may say success false, a 4xx body says what was refused; a 400's too");

    [Fact]
    public async Task ReadRejectionAsync_DocumentedJoiBody_ReturnsJoinedPathAndTypeOnly()
    {
        using var response = Response(HttpStatusCode.UnprocessableEntity, DocumentedRejection);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        details.Should().NotBeNull();
        details!.Path.Should().Be("attributes.0.value");
        details.Type.Should().Be("string.max");
    }

    [Fact]
    public async Task ReadRejectionAsync_ContextAndMessageBeforePath_AreSkippedAndNeverKept()
    {
        const string body = "{\"details\":[{\"context\":{\"value\":\"Secret-Value\",\"nested\":[1,{\"a\":\"b\"}]},\"message\":\"Secret-Value is bad\","
            + "\"path\":[\"id\"],\"type\":\"any.required\"},{\"path\":[\"other\"],\"type\":\"x\"}],\"type\":\"ValidationError\"}";
        using var response = Response(HttpStatusCode.UnprocessableEntity, body);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        details!.Path.Should().Be("id");
        details.Type.Should().Be("any.required");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"error\":\"bad\"}")]
    [InlineData("{\"details\":[]}")]
    [InlineData("{\"details\":\"bad\"}")]
    [InlineData("[1,2]")]
    public async Task ReadRejectionAsync_BodyNotInTheDocumentedShape_ReturnsNull(string body)
    {
        using var response = Response(HttpStatusCode.UnprocessableEntity, body);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        details.Should().BeNull();
    }

    [Fact]
    public async Task ReadRejectionAsync_BodyAfterAByteOrderMark_IsRead()
    {
        // Kestrel writes U+FEFF as EF BB BF: a JSON text a service's serializer may start with.
        using var response = Response(HttpStatusCode.UnprocessableEntity, "\uFEFF{\"details\":[{\"path\":[\"id\"],\"type\":\"any.required\"}]}");

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        (details!.Path, details.Type).Should().Be(("id", "any.required"));
    }

    [Fact]
    public async Task ReadRejectionAsync_DetailsWithinTheReadLimitOfAHugeBody_AreReadWithoutReadingTheRest()
    {
        var body = "{\"details\":[{\"path\":[\"attributes\",3,\"name\"],\"type\":\"string.max\",\"context\":{\"value\":\""
            + new string('v', 10 * RestProtocol.MaxRejectionBytes) + "\"}}]}";
        using var response = Response(HttpStatusCode.UnprocessableEntity, body);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        details!.Path.Should().Be("attributes.3.name");
        details.Type.Should().Be("string.max");
    }

    [Fact]
    public async Task ReadRejectionAsync_DetailsBeyondTheReadLimit_ReturnsNull()
    {
        var body = "{\"padding\":\"" + new string('p', 2 * RestProtocol.MaxRejectionBytes) + "\",\"details\":[{\"path\":[\"id\"],\"type\":\"any.required\"}]}";
        using var response = Response(HttpStatusCode.UnprocessableEntity, body);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        details.Should().BeNull();
    }

    [Fact]
    public async Task ReadRejectionAsync_BodyThatEndsWithinTheReadLimitInsideTheDetail_IsNotTheDocumentedShape()
    {
        // Shorter than the read limit, the body read is the whole body: one that stops inside the detail is not JSON.
        using var plain = Response(HttpStatusCode.UnprocessableEntity, CutInsideTheDetail);
        using var gzip = GzipResponse(HttpStatusCode.UnprocessableEntity, CutInsideTheDetail);

        (await Protocol.ReadRejectionAsync(plain, [], CancellationToken.None)).Should().BeNull();
        (await Protocol.ReadRejectionAsync(gzip, [], CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public async Task ReadRejectionAsync_GzipBodyThatExpandsBeyondTheReadLimit_KeepsTheDetailsBeforeTheLimit()
    {
        // A few hundred compressed bytes whose expansion fills the read limit inside the echoed value: the body goes on.
        var body = DocumentedRejection.Replace("Secret-Value", new string('v', 10 * RestProtocol.MaxRejectionBytes), StringComparison.Ordinal);
        using var response = GzipResponse(HttpStatusCode.UnprocessableEntity, body);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        (details!.Path, details.Type).Should().Be(("attributes.0.value", "string.max"));
    }

    [Theory]
    [InlineData("{\"success\":false}", true)]
    [InlineData("{ \"type\": \"x\", \"success\" : false, \"more\": [1, {\"a\": null}] }", true)]
    [InlineData("{\"success\":true}", false)]
    [InlineData("", false)]
    [InlineData("ok", false)]
    [InlineData("{\"success\":\"false\"}", false)]
    [InlineData("{\"success\":0}", false)]
    [InlineData("{\"data\":{\"success\":false}}", false)]
    [InlineData("[false]", false)]
    [InlineData("{\"success\":", false)]
    [InlineData("\uFEFF{\"success\":false}", true)]
    [InlineData("\uFEFF{\"success\":true}", false)]
    [InlineData("\uFEFF", false)]
    [InlineData("\uFEFF\uFEFF{\"success\":false}", false)]
    public async Task IsRefusedDespiteSuccessAsync_OnlyATopLevelSuccessFalseIsARefusal(string body, bool refused)
    {
        using var response = Response(HttpStatusCode.OK, body);

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().Be(refused);
    }

    [Theory]
    [InlineData("gzip", "{\"success\":false}", true)]
    [InlineData("x-gzip", "{\"success\":false}", true)]
    [InlineData("gzip", "{\"success\":true}", false)]
    public async Task IsRefusedDespiteSuccessAsync_GzipEncodedBody_IsReadDecompressed(string coding, string body, bool refused)
    {
        using var response = GzipResponse(HttpStatusCode.OK, body, coding);

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().Be(refused);
    }

    [Fact]
    public async Task IsRefusedDespiteSuccessAsync_GzipBodyThatExpandsBeyondTheReadLimit_ReadsOnlyAsFarAsTheLimit()
    {
        // A few hundred compressed bytes that expand to megabytes: only MaxSuccessBytes of the expansion are read.
        var body = "{\"padding\":\"" + new string('p', 4 * 1024 * 1024) + "\",\"success\":false}";
        using var response = GzipResponse(HttpStatusCode.OK, body);

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().BeFalse();
    }

    [Fact]
    public async Task IsRefusedDespiteSuccessAsync_GzipBodyCutShort_ReadsWhatCameAndTheStatusStands()
    {
        using var whole = GzipResponse(HttpStatusCode.OK, "{\"success\":false}");
        var compressed = await whole.Content.ReadAsByteArrayAsync();
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(compressed, 0, compressed.Length / 2) };
        response.Content.Headers.ContentEncoding.Add("gzip");

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().BeFalse();
    }

    [Fact]
    public async Task ReadRejectionAsync_GzipBodyThatHardlyCompressesCutAtTheKeptLimit_KeepsTheFieldAndRuleBeforeTheCut()
    {
        // The sender keeps MaxRejectionBytes of the compressed body; stored (uncompressed) deflate blocks decompress to a
        // little less than that, and GZipStream ends the cut stream without an error: read as complete, the cut inside
        // the echoed value made the whole body unreadable.
        var body = DocumentedRejection.Replace("Secret-Value", new string('v', 40 * 1024), StringComparison.Ordinal);
        using var whole = GzipResponse(HttpStatusCode.UnprocessableEntity, body, level: CompressionLevel.NoCompression);
        var compressed = await whole.Content.ReadAsByteArrayAsync();
        using var response = new HttpResponseMessage(HttpStatusCode.UnprocessableEntity) { Content = new ByteArrayContent(compressed, 0, RestProtocol.MaxRejectionBytes) };
        response.Content.Headers.ContentEncoding.Add("gzip");

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        (details!.Path, details.Type).Should().Be(("attributes.0.value", "string.max"));
    }

    [Fact]
    public async Task ReadRejectionAsync_GzipEncodedJoiBody_ReturnsJoinedPathAndTypeOnly()
    {
        using var response = GzipResponse(HttpStatusCode.UnprocessableEntity, DocumentedRejection);

        var details = await Protocol.ReadRejectionAsync(response, [], CancellationToken.None);

        (details!.Path, details.Type).Should().Be(("attributes.0.value", "string.max"));
    }

    [Fact]
    public async Task IsRefusedDespiteSuccessAsync_SuccessBeyondTheReadLimit_IsNotReadAndTheStatusStands()
    {
        var body = "{\"padding\":\"" + new string('p', 2 * RestProtocol.MaxSuccessBytes) + "\",\"success\":false}";
        using var response = Response(HttpStatusCode.OK, body);

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().BeFalse();
    }

    [Fact]
    public async Task IsRefusedDespiteSuccessAsync_NoContent_IsNotARefusal()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().BeFalse();
    }

    [Fact]
    public async Task SendAsync_ThroughMockHttp_CollectorSeesTheUpsertAndItsRefusalIsRead()
    {
        using var http = new MockHttpMessageHandler();
        string? seenBody = null;
        http.Expect(HttpMethod.Post, "https://dcqs-india.growlytics.in/rest-api/customer")
            .WithHeaders("Accept", "application/json")
            .With(r => r.Content!.Headers.ContentType!.MediaType == "application/json" && r.Content.Headers.ContentEncoding.Count == 0)
            .Respond(async r =>
            {
                seenBody = await r.Content!.ReadAsStringAsync();
                return Response(HttpStatusCode.UnprocessableEntity, DocumentedRejection);
            });
        using var client = new HttpClient(http);
        var body = Protocol.Serialize(Message("u-1", new UserAttribute("plan", "pro")), new ByteBufferWriter(64));

        using var request = Protocol.CreateRequest([body], CallerHarness.Now);
        using var response = await client.SendAsync(request);
        var details = await Protocol.ReadRejectionAsync(response, [body], CancellationToken.None);

        http.VerifyNoOutstandingExpectation();
        seenBody.Should().Be("{\"id\":\"u-1\",\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"}]}");
        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (details!.Path, details.Type).Should().Be(("attributes.0.value", "string.max"));
    }

    private static UserMessage Message(string userId, params UserAttribute[] attributes) =>
        new(MessageType.Update, 1, CallerHarness.Now, Anonymous, userId, attributes);

    private static string Json(UserMessage message) => Encoding.UTF8.GetString(Protocol.Serialize(message, new ByteBufferWriter(16)));

    private static HttpResponseMessage Response(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage GzipResponse(HttpStatusCode status, string body, string coding = "gzip", CompressionLevel level = CompressionLevel.Fastest)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, level, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(body));
        }

        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add(coding);
        return new(status) { Content = content };
    }
}
