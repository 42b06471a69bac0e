using System.Text;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

public sealed class RecordFormatTests
{
    [Fact]
    public void Crc32_OfTheStandardCheckString_IsCbf43926()
    {
        Crc32.Compute("123456789"u8).Should().Be(0xCBF43926u);
    }

    [Fact]
    public void TryRead_AfterWrite_ReturnsTheRecordAndItsTime()
    {
        var payload = Encoding.UTF8.GetBytes("{\"type\":\"update\"}");
        var buffer = new byte[RecordFormat.RecordHeaderSize + payload.Length];
        RecordFormat.Write(buffer, payload, 1234);

        RecordFormat.TryRead(buffer, 0, out var acceptedMs).Should().Be(buffer.Length);
        acceptedMs.Should().Be(1234);
    }

    [Fact]
    public void NextRecord_AfterAFlippedByte_SkipsToTheNextIntactRecord()
    {
        var payload = Encoding.UTF8.GetBytes("{\"a\":1}");
        var size = RecordFormat.RecordHeaderSize + payload.Length;
        var buffer = new byte[size * 2];
        RecordFormat.Write(buffer, payload, 1);
        RecordFormat.Write(buffer.AsSpan(size), payload, 2);
        buffer[RecordFormat.RecordHeaderSize + 2] ^= 0x10;

        var found = RecordFormat.NextRecord(buffer, 0, buffer.Length, out _, out var acceptedMs, out var skipped);

        found.Should().Be(size);
        acceptedMs.Should().Be(2);
        skipped.Should().BeTrue();
    }
}
