using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>One message's wire form on its own, as the dispatcher writes it into a request's buffer.</summary>
internal static class WireProtocolTestExtensions
{
    public static byte[] Serialize(this IWireProtocol protocol, UserMessage message, ByteBufferWriter buffer)
    {
        buffer.Clear();
        protocol.Write(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static HttpRequestMessage CreateRequest(this IWireProtocol protocol, IEnumerable<byte[]> messages, DateTimeOffset now) =>
        protocol.CreateRequest(messages.Select(m => (ReadOnlyMemory<byte>)m).ToList(), now);
}
