using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// A server that answers a request with <c>101 Switching Protocols</c> (a misconfigured gateway: the SDK never asks to
/// upgrade) gave no HTTP answer to it: the request was not taken, and is retried as a network error is. Before, the
/// 101 was neither retried nor a refusal: the batch was dropped at once as <see cref="DropReason.RetriesExhausted"/>
/// after its first attempt, with an error log saying it "ran out of retries". The server is a plain socket on
/// 127.0.0.1 (Kestrel does not answer a POST with 101).
/// </summary>
public sealed class InformationalAnswerTests : IDisposable
{
    private const string SwitchingProtocols = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n";
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public InformationalAnswerTests() => _listener.Start();

    private Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest)]
    [InlineData(GrowlyticsProtocol.Batch)]
    public async Task Send_FirstAnswerIs101_RetriedAndDelivered(GrowlyticsProtocol protocol)
    {
        var serving = ServeAsync();
        var options = FastOptions(Endpoint);
        options.Protocol = protocol;
        options.MaxRetryAttempts = 3;
        await using (var client = new GrowlyticsClient(options))
        {
            client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            await FlushAsync(client);

            var statistics = client.Statistics;
            statistics.DroppedByReason[DropReason.RetriesExhausted].Should().Be(0, "a 101 is no answer to the request, and one retry was left");
            statistics.Delivered.Should().Be(1, "the retry was answered 200");
            statistics.Retried.Should().Be(1);
        }

        _stop.Cancel();
        await serving;
        Volatile.Read(ref _requests).Should().Be(2);
    }

    // Answers the first request with 101 (and closes that connection: it is no longer HTTP), every later one with 200.
    private async Task ServeAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                connections.Add(AnswerAsync(socket));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(connections);
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                while (await ReadRequestAsync(socket))
                {
                    var first = Interlocked.Increment(ref _requests) == 1;
                    await socket.SendAsync(Encoding.ASCII.GetBytes(first ? SwitchingProtocols : Ok), SocketFlags.None, _stop.Token);
                    if (first)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // The client closed the connection, or the test ended.
            }
        }
    }

    // Reads one request whole; false when the client closed the connection first.
    private async Task<bool> ReadRequestAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(received)) < 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return false;
            }

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
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return false;
            }

            body += read;
        }

        return true;
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
}
