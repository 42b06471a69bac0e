using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// An answer with a body of any size, or one that never ends, costs the SDK only what its protocol reads of it (REST:
/// 512 bytes of a success, 16 KB of a refusal; Batch: nothing): the request settles as its status says, and the server
/// gets to send only what the connection's buffers and the handler's short drain take before the SDK lets go. The
/// server is a plain socket on 127.0.0.1, so what it counts as sent went through the connection (a web server may
/// complete writes on a connection the client has closed without sending them).
/// </summary>
public sealed class AnswerBodyTests : IDisposable
{
    // Far more than any bound the SDK keeps to; a client that read every answer whole would take it all.
    private const long EndlessBytes = 512L * 1024 * 1024;

    // The socket buffers on both sides, the handler's drain of an unread rest (1 MB by default) and a chunk in flight.
    private const long MostTheServerMaySend = 48L * 1024 * 1024;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private long _sent;
    private int _requests;

    public AnswerBodyTests() => _listener.Start();

    private Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, 200, "{\"success\":true}")]
    [InlineData(GrowlyticsProtocol.Batch, 200, "{}")]
    [InlineData(GrowlyticsProtocol.Rest, 422, "{\"errors\":[{\"path\":\"attributes.0.value\",\"type\":\"too_long\"}]")]
    public async Task Send_AnswerBodyThatNeverEnds_SettledByItsStatusAndReadOnlyAsFarAsTheProtocolReads(GrowlyticsProtocol protocol, int status, string start)
    {
        var serving = ServeAsync(status, start);
        var options = FastOptions(Endpoint);
        options.Protocol = protocol;
        options.RequestTimeout = TimeSpan.FromSeconds(20);
        options.MaxRetryAttempts = 0;
        await using (var client = new GrowlyticsClient(options))
        {
            client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(15));

            var statistics = client.Statistics;
            if (status == 200)
            {
                statistics.Delivered.Should().Be(1, "the status says the request was taken; the rest of the body does not matter");
                statistics.BatchesSent.Should().Be(1);
            }
            else
            {
                statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
                statistics.BatchesSent.Should().Be(0);
            }

            statistics.Retried.Should().Be(0, "the answer came within the attempt's timeout");
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(15));
        Volatile.Read(ref _requests).Should().Be(1);
        Interlocked.Read(ref _sent).Should().BeLessThan(MostTheServerMaySend, "the SDK stops reading once it has what it reads");
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, 200, "{\"succ")]
    [InlineData(GrowlyticsProtocol.Batch, 200, "{")]
    [InlineData(GrowlyticsProtocol.Rest, 422, "{\"errors\":[")]
    public async Task Send_AnswerBodyThatStopsComing_TheStatusCountsOnceTheAttemptsTimeIsUp(GrowlyticsProtocol protocol, int status, string start)
    {
        var serving = ServeAsync(status, start, stall: true);
        var options = FastOptions(Endpoint);
        options.Protocol = protocol;
        options.RequestTimeout = TimeSpan.FromSeconds(1);
        options.MaxRetryAttempts = 3;
        await using (var client = new GrowlyticsClient(options))
        {
            client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            await FlushAsync(client);

            var statistics = client.Statistics;
            if (status == 200)
            {
                statistics.Delivered.Should().Be(1, "the status line said the request was taken");
            }
            else
            {
                statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
            }

            statistics.Retried.Should().Be(0, "the answer came in time; only its body did not");
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(15));
        Volatile.Read(ref _requests).Should().Be(1, "nothing was sent twice");
    }

    [Fact]
    public async Task Shutdown_WhileAnAnswerBodyStopsComing_TheUpdateIsCountedAsShutdown()
    {
        var serving = ServeAsync(200, "{\"succ", stall: true);
        var options = FastOptions(Endpoint);
        options.Protocol = GrowlyticsProtocol.Rest;
        options.RequestTimeout = TimeSpan.FromMinutes(5);
        options.RetryBudget = TimeSpan.FromMinutes(5);
        options.ShutdownTimeout = TimeSpan.FromMilliseconds(500);
        var client = new GrowlyticsClient(options);
        client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await EventuallyAsync(() => Volatile.Read(ref _requests) == 1, "the request has arrived");

        await client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(15));

        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(1, "the answer's body was still coming at the deadline");
        statistics.Delivered.Should().Be(0);
        statistics.Pending.Should().Be(0);
        await serving.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Send_RestSuccessWhoseLongBodySaysNothingWasTaken_IsRejectedAndNotCountedAsSent()
    {
        var serving = ServeAsync(200, "{\"success\":false}");
        var options = FastOptions(Endpoint);
        options.Protocol = GrowlyticsProtocol.Rest;
        await using (var client = new GrowlyticsClient(options))
        {
            client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            await FlushAsync(client);

            var statistics = client.Statistics;
            statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
            statistics.Delivered.Should().Be(0);
            statistics.BatchesSent.Should().Be(0, "a request whose answer says it took nothing is not a batch sent");
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(15));
    }

    // Answers one request: reads it, then sends the status and a chunked body that begins with start and goes on with
    // spaces until the client lets go of the connection (or EndlessBytes are sent); with stall, sends nothing after start
    // until then.
    private async Task ServeAsync(int status, string start, bool stall = false)
    {
        using var socket = await _listener.AcceptSocketAsync(_stop.Token);
        await ReadRequestAsync(socket);
        Interlocked.Increment(ref _requests);
        var head = $"HTTP/1.1 {status.ToString(CultureInfo.InvariantCulture)} Answer\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        var first = Chunk(Encoding.ASCII.GetBytes(start));
        var padding = Chunk(Encoding.ASCII.GetBytes(new string(' ', 64 * 1024)));
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, _stop.Token);
            await socket.SendAsync(first, SocketFlags.None, _stop.Token);
            if (stall)
            {
                // Until the client closes the connection (a read of 0 bytes) or the test ends.
                await socket.ReceiveAsync(new byte[1], SocketFlags.None, _stop.Token);
                return;
            }

            while (Interlocked.Read(ref _sent) < EndlessBytes)
            {
                await socket.SendAsync(padding, SocketFlags.None, _stop.Token);
                Interlocked.Add(ref _sent, padding.Length);
            }
        }
        catch (SocketException)
        {
            // The client closed the connection.
        }
    }

    private static async Task ReadRequestAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(received)) < 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            read.Should().BePositive("the request arrives whole");
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var headers = Encoding.ASCII.GetString(received.GetRange(0, headerEnd).ToArray());
        var length = headers.Split("\r\n")
            .Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture))
            .Single();
        var body = received.Count - (headerEnd + 4);
        while (body < length)
        {
            body += await socket.ReceiveAsync(buffer, SocketFlags.None);
        }
    }

    private static int IndexOfHeaderEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private static byte[] Chunk(byte[] data) =>
        [.. Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), .. data, .. "\r\n"u8.ToArray()];
}
