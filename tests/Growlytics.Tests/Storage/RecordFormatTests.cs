using System.Text;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

public sealed class RecordFormatTests
{
    [Fact]
    public void Write_KnownRecord_IsByteIdenticalToTheStoredFormat()
    {
        // Pinned bytes (marker, length, time, CRC-32 over length+time+payload, payload): stores written by earlier
        // versions must keep reading, whatever computes the CRC.
        var payload = Encoding.UTF8.GetBytes("{\"type\":\"update\"}");
        var buffer = new byte[RecordFormat.RecordHeaderSize + payload.Length];

        RecordFormat.Write(buffer, payload, 1234);

        Convert.ToHexString(buffer).Should().Be("47A511000000D2040000000000000D13D8CB7B2274797065223A22757064617465227D");
    }

    [Fact]
    public void TryRead_RecordWrittenByAnEarlierVersion_IsAccepted()
    {
        var stored = Convert.FromHexString("47A511000000D2040000000000000D13D8CB7B2274797065223A22757064617465227D");

        RecordFormat.TryRead(stored, 0, out var acceptedMs).Should().Be(stored.Length);
        acceptedMs.Should().Be(1234);
    }

    [Fact]
    public void AckFileWrite_KnownPosition_IsByteIdenticalAndReadsBack()
    {
        var directory = Directory.CreateTempSubdirectory("growlytics-ack-").FullName;
        try
        {
            AckFile.Write(directory, segmentId: 7, offset: 4096);

            Convert.ToHexString(File.ReadAllBytes(Path.Combine(directory, AckFile.FileName)))
                .Should().Be("474C51410200000007000000000000000010000000000000792D69FE");
            AckFile.Read(directory, out var damaged).Should().Be((7L, 4096L));
            damaged.Should().BeFalse();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
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

    [Fact]
    public void TryRead_ARecordOfTheLargestPayload_IsRead_AndOneByteLargerIsDamage()
    {
        // The writer stores a payload of up to MaxPayload bytes: one of exactly that size must read back at the next start.
        var largest = new byte[RecordFormat.RecordHeaderSize + RecordFormat.MaxPayload];
        RecordFormat.Write(largest, new byte[RecordFormat.MaxPayload], 1234);
        RecordFormat.TryRead(largest, 0, out var acceptedMs).Should().Be(largest.Length);
        acceptedMs.Should().Be(1234);

        var larger = new byte[largest.Length + 1];
        RecordFormat.Write(larger, new byte[RecordFormat.MaxPayload + 1], 1234);
        RecordFormat.TryRead(larger, 0, out _).Should().Be(0, "no record this version writes is that large");
    }
}
