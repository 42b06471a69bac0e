using System.Text;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>A request body in a reused buffer: given back only when its request is done with it, never read for another.</summary>
public sealed class BodyContentTests
{
    private static readonly IReadOnlyList<ReadOnlyMemory<byte>> Messages =
        [Encoding.UTF8.GetBytes("{\"a\":1}"), Encoding.UTF8.GetBytes("{\"b\":2}")];

    [Fact]
    public async Task Dispose_AfterTheBodyWasSent_GivesTheBufferBackOnce()
    {
        var buffer = Compressed();
        var before = buffer.Returns;
        var content = new BodyContent(buffer);
        using var sent = new MemoryStream();
        await content.CopyToAsync(sent);

        buffer.Returns.Should().Be(before, "the request still holds its body until it is disposed");
        content.Dispose();
        content.Dispose();

        buffer.Returns.Should().Be(before + 1);
        WireBody.ReadJson(sent.ToArray(), gzip: true).Should().EndWith(",\"messages\":[{\"a\":1},{\"b\":2}]}");
    }

    [Fact]
    public async Task Dispose_WhileTheBodyIsBeingWritten_GivesTheBufferBackWhenTheWriteEnds()
    {
        var buffer = Compressed();
        var expected = buffer.Array.AsSpan(0, (int)buffer.Length).ToArray();
        var before = buffer.Returns;
        var content = new BodyContent(buffer);
        var connection = new HeldStream();
        var copy = content.CopyToAsync(connection);
        await connection.Writing;

        content.Dispose();
        buffer.Returns.Should().Be(before, "a write to the connection still reads the buffer");

        connection.Release();
        await copy;
        buffer.Returns.Should().Be(before + 1);
        connection.Written.Should().Equal(expected);
    }

    [Fact]
    public async Task CopyToAsync_AfterDispose_IsRefusedAndTheBufferIsNotGivenBackAgain()
    {
        var buffer = Compressed();
        var before = buffer.Returns;
        var content = new BodyContent(buffer);
        content.Dispose();

        var copy = () => content.CopyToAsync(new MemoryStream());

        await copy.Should().ThrowAsync<ObjectDisposedException>();
        buffer.Returns.Should().Be(before + 1);
    }

    [Fact]
    public async Task BuildContent_AfterALongerBody_SendsOnlyItsOwnBytes()
    {
        // A kept buffer still holds the previous body's bytes past the new body's end: only the new ones are sent.
        var longer = Enumerable.Range(0, 200).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes("{\"n\":" + i + "}")).ToList();
        using (var first = BatchBody.BuildContent(longer, CallerHarness.Now))
        {
            (await first.ReadAsByteArrayAsync()).Should().NotBeEmpty();
        }

        using var second = BatchBody.BuildContent(Messages, CallerHarness.Now);

        using var expected = new MemoryStream();
        BatchBody.WriteJson(expected, Messages, CallerHarness.Now);
        second.Headers.ContentLength.Should().Be(BatchBody.Build(Messages, CallerHarness.Now).Length);
        WireBody.ReadJson(await second.ReadAsByteArrayAsync(), gzip: true).Should().Be(Encoding.UTF8.GetString(expected.ToArray()));
    }

    private static BodyBuffer Compressed() => BatchBody.Compress(Messages, CallerHarness.Now, BatchBody.Level);

    /// <summary>A connection whose write waits until the test releases it.</summary>
    private sealed class HeldStream : MemoryStream
    {
        private readonly TaskCompletionSource<bool> _writing = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<bool> _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Writing => _writing.Task;

        public byte[] Written => ToArray();

        public void Release() => _release.TrySetResult(true);

        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _writing.TrySetResult(true);
            await _release.Task;
            Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writing.TrySetResult(true);
            await _release.Task;
            Write(buffer.Span);
        }
    }
}
