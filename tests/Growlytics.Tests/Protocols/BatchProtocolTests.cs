using System.Net;
using System.Text;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Protocols.Batch;
using GrowlyticsSdk.Protocols.Rest;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>The batch protocol behind the seam: today's message JSON and gzip envelope, unchanged.</summary>
public sealed class BatchProtocolTests
{
    private const string Anonymous = "qnm78HZN8HbF4DeOKXg0kw";

    private static readonly BatchProtocol Protocol = new(new GrowlyticsOptions { Endpoint = new Uri("https://collector.test/v1"), MaxBatchSize = 50, MaxBatchBytes = 4096 });

    [Fact]
    public void Properties_FollowTheBatchOptions()
    {
        Protocol.MaxMessagesPerRequest.Should().Be(50);
        Protocol.MaxRequestBytes.Should().Be(4096 - GrowlyticsSdk.Serialization.BatchBody.EnvelopeOverhead, "the envelope around the messages counts against MaxBatchBytes");
        Protocol.WaitsToFill.Should().BeTrue();
    }

    [Fact]
    public void Serialize_AnyMessage_IsTheMessageJsonWriterOutput()
    {
        var message = new UserMessage(MessageType.Login, 7, CallerHarness.Now, Anonymous, "u-1", [new("city", "Pune")]);

        Encoding.UTF8.GetString(Protocol.Serialize(message, new ByteBufferWriter(16))).Should().Be(CallerHarness.ToJson(message));
    }

    [Fact]
    public void Serialize_CustomerUpdate_IsAnUpdateWithThatUserIdAndANullAnonymousId()
    {
        var message = new UserMessage(MessageType.Update, 7, CallerHarness.Now, null, "c-1", [new("plan", "pro")]);

        Encoding.UTF8.GetString(Protocol.Serialize(message, new ByteBufferWriter(16))).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000000,"
            + "\"anonymousId\":null,\"userId\":\"c-1\",\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"}]}");
    }

    [Fact]
    public void PartitionKey_SessionMessage_IsTheAnonymousIdAndACustomerUpdateItsCustomer()
    {
        Protocol.PartitionKey(new UserMessage(MessageType.Update, 1, CallerHarness.Now, Anonymous, "u-1", [])).Should().Be(Anonymous);
        Protocol.PartitionKey(new UserMessage(MessageType.Update, 1, CallerHarness.Now, null, "c-1", [])).Should().Be("c-1");
    }

    [Fact]
    public async Task CreateRequest_Messages_PostsTheGzipEnvelopeToEventsSdkBatch()
    {
        byte[][] messages = [Encoding.UTF8.GetBytes("{\"a\":1}"), Encoding.UTF8.GetBytes("{\"b\":2}")];

        using var request = Protocol.CreateRequest(messages, CallerHarness.Now);

        request.Method.Should().Be(HttpMethod.Post);
        request.RequestUri!.AbsoluteUri.Should().Be("https://collector.test/v1/events/sdk-batch");
        request.Content!.Headers.ContentType!.ToString().Should().Be("application/json; charset=utf-8");
        request.Content.Headers.ContentEncoding.Should().Equal("gzip");
        using var expected = new MemoryStream();
        BatchBody.WriteJson(expected, messages.Select(m => (ReadOnlyMemory<byte>)m).ToList(), CallerHarness.Now);
        WireBody.ReadJson(await request.Content.ReadAsByteArrayAsync(), gzip: true).Should().Be(Encoding.UTF8.GetString(expected.ToArray()))
            .And.StartWith("{\"sentAt\":1764342000000,\"sdk\":").And.EndWith(",\"messages\":[{\"a\":1},{\"b\":2}]}");
    }

    [Fact]
    public async Task ReadRejectionAsync_AnyBody_ReturnsNull()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.UnprocessableEntity) { Content = new StringContent("{\"details\":[{\"path\":[\"id\"],\"type\":\"x\"}]}") };

        (await Protocol.ReadRejectionAsync(response, [], CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public async Task IsRefusedDespiteSuccessAsync_SuccessFalseBody_IsNotARefusal()
    {
        // The batch endpoint documents no success body: its status alone counts.
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":false}") };

        (await Protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None)).Should().BeFalse();
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, typeof(RestProtocol))]
    [InlineData(GrowlyticsProtocol.Batch, typeof(BatchProtocol))]
    public void Create_EachProtocol_ReturnsItsImplementation(GrowlyticsProtocol protocol, Type expected)
    {
        WireProtocols.Create(new GrowlyticsOptions { Protocol = protocol }).Should().BeOfType(expected);
    }
}
