using System.Text;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.TestSupport;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>
/// A request body in a reused buffer: given back only when its request is done with it, never read for another (the
/// content is .NET 8+ only; the buffers are in both builds). Not run in parallel with other tests: the kept buffers are
/// shared by the process, and these tests count what comes back.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class BodyContentTests
{
    private static readonly IReadOnlyList<ReadOnlyMemory<byte>> Messages =
        [Encoding.UTF8.GetBytes("{\"a\":1}"), Encoding.UTF8.GetBytes("{\"b\":2}")];

    [Fact]
    public void Return_Twice_KeepsTheBufferOnce()
    {
        var buffer = Compressed();
        buffer.Return();
        buffer.Return();

        var first = BodyBuffer.Rent();
        var second = BodyBuffer.Rent();

        first.Should().BeSameAs(buffer, "the buffer given back last is taken first");
        second.Should().NotBeSameAs(buffer, "a buffer kept twice would carry two bodies at once");
        first.Return();
        second.Return();
    }

    [Fact]
    public void Return_ClearsWhatWasWritten()
    {
        var buffer = Compressed();
        var length = (int)buffer.Length;

        buffer.Return();

        buffer.Array.AsSpan(0, length).ToArray().Should().OnlyContain(b => b == 0, "a kept buffer keeps nothing a user sent");
        buffer.Length.Should().Be(0);
    }

#if !GROWLYTICS_LIBRARY_NETSTANDARD
    [Fact]
    [Trait("Requires", "net8")]
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
    [Trait("Requires", "net8")]
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
    [Trait("Requires", "net8")]
    public void ReadAsStream_ReadsTheBody_AndTheBufferGoesBackOnlyWithTheContent()
    {
        var buffer = Compressed();
        var expected = buffer.Array.AsSpan(0, (int)buffer.Length).ToArray();
        var before = buffer.Returns;
        var content = new BodyContent(buffer);

        using var stream = content.ReadAsStream();
        using var read = new MemoryStream();
        stream.CopyTo(read);

        read.ToArray().Should().Equal(expected);
        buffer.Returns.Should().Be(before, "the content still holds its buffer");
        content.Dispose();
        buffer.Returns.Should().Be(before + 1);
    }

    [Fact]
    [Trait("Requires", "net8")]
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
    [Trait("Requires", "net8")]
    public async Task BuildContent_InTheBufferOfALongerBody_SendsOnlyItsOwnBytesAndTheLongerOnesAreCleared()
    {
        var longer = Enumerable.Range(0, 200).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes("{\"n\":" + i + "}")).ToList();
        var buffer = BatchBody.Compress(longer, CallerHarness.Now, BatchBody.Level);
        var longerLength = (int)buffer.Length;
        var forTheJson = BodyBuffer.Rent();
        new BodyContent(buffer).Dispose();
        buffer.Array.AsSpan(0, longerLength).ToArray().Should().OnlyContain(b => b == 0, "a kept buffer keeps nothing a user sent");

        // Taken last first: the next body's JSON is laid out in this one, and the body is compressed into the longer one's.
        forTheJson.Return();

        using var second = BatchBody.BuildContent(Messages, CallerHarness.Now);

        var next = BodyBuffer.Rent();
        next.Should().NotBeSameAs(buffer, "the second body was written into the longer one's buffer, which it still holds");
        next.Return();
        using var expected = new MemoryStream();
        BatchBody.WriteJson(expected, Messages, CallerHarness.Now);
        second.Headers.ContentLength.Should().Be(BatchBody.Build(Messages, CallerHarness.Now).Length).And.BeLessThan(longerLength);
        WireBody.ReadJson(await second.ReadAsByteArrayAsync(), gzip: true).Should().Be(Encoding.UTF8.GetString(expected.ToArray()));
    }

#endif

    private static BodyBuffer Compressed() => BatchBody.Compress(Messages, CallerHarness.Now, BatchBody.Level);

#if !GROWLYTICS_LIBRARY_NETSTANDARD
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
#endif
}
