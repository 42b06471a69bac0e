using System.Numerics;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>
/// The direct byte path for plain messages writes exactly what <see cref="Utf8JsonWriter"/> writes, and leaves every
/// message it cannot write exactly (characters to escape, non-ASCII text, floating-point values) to the writer.
/// </summary>
/// <remarks>
/// In the collection that runs alone: the kept attribute openings are process-wide, and another class writing messages
/// at the same time would move the counts one test here measures.
/// </remarks>
[Collection(ProcessStateCollection.Name)]
public sealed class PlainMessageJsonTests
{
    private const int Seed = 20261130;

    // Every ASCII character, a few that JSON escapes, and non-ASCII ones (two-byte, three-byte, a surrogate pair).
    private static readonly string AllAscii = new(Enumerable.Range(0, 128).Select(c => (char)c).ToArray());
    private static readonly string[] NonAscii = ["é", "€", "😀", "\u2028"];
    private static readonly string PrintableAscii = new(Enumerable.Range(0x20, 0x5F).Select(c => (char)c).Where(c => c is not '"' and not '\\').ToArray());

    [Fact]
    public void RandomMessages_EitherWrittenExactlyAsTheWriterWritesThem_OrLeftToIt()
    {
        var random = new Random(Seed);
        var written = 0;
        var declined = 0;
        for (var i = 0; i < 5_000; i++)
        {
            var message = RandomMessage(random, plainOnly: false);
            var fast = new ByteBufferWriter(16);
            fast.Advance(3); // after what the buffer already holds
            var before = fast.WrittenSpan.ToArray();

            if (PlainMessageJson.TryAppend(message, fast))
            {
                written++;
                fast.WrittenSpan.Slice(3).ToArray().Should().Equal(Reference(message), "message {0} was written directly", i);
            }
            else
            {
                declined++;
                fast.WrittenSpan.ToArray().Should().Equal(before, "a declined message writes nothing");
            }

            var appended = new ByteBufferWriter(16);
            MessageJsonWriter.Append(message, appended);
            appended.WrittenSpan.ToArray().Should().Equal(Reference(message));
        }

        // Both paths were exercised many times (the generator mixes plain and non-plain messages about evenly).
        written.Should().BeGreaterThan(500);
        declined.Should().BeGreaterThan(500);
    }

    [Fact]
    public void PlainMessages_AreAllWrittenDirectly()
    {
        var random = new Random(Seed + 1);
        for (var i = 0; i < 2_000; i++)
        {
            var message = RandomMessage(random, plainOnly: true);
            var buffer = new ByteBufferWriter(16);
            PlainMessageJson.TryAppend(message, buffer).Should().BeTrue();
            buffer.WrittenSpan.ToArray().Should().Equal(Reference(message));
        }
    }

    [Theory]
    [InlineData('"')]
    [InlineData('\\')]
    [InlineData('\n')]
    [InlineData('\u001F')]
    [InlineData('\u007F')]
    [InlineData('\u0080')]
    [InlineData('é')]
    [InlineData('\u2028')]
    public void ACharacterTheWriterEscapesOrEncodes_IsLeftToTheWriter(char c)
    {
        var message = new UserMessage(MessageType.Update, 7, DateTimeOffset.UnixEpoch, "anon", "user",
            [new UserAttribute("city", "a" + c + "b")]);
        var buffer = new ByteBufferWriter(16);

        PlainMessageJson.TryAppend(message, buffer).Should().BeFalse();
        buffer.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void EveryAsciiCharacter_InEveryStringPlace_IsWrittenAsTheWriterWritesIt()
    {
        var written = 0;
        foreach (var c in AllAscii)
        {
            var text = "a" + c + "b";
            UserMessage[] messages =
            [
                new(MessageType.Update, 7, DateTimeOffset.UnixEpoch, text, "user", [new UserAttribute("city", text)]),
                new(MessageType.Login, 7, DateTimeOffset.UnixEpoch, "anon", text, [new UserAttribute(text, true)]),
                new RestoredUserMessage(MessageType.Logout, 7, DateTimeOffset.UnixEpoch, "anon", "user", [], 1, text),
            ];
            foreach (var message in messages)
            {
                var buffer = new ByteBufferWriter(16);
                if (PlainMessageJson.TryAppend(message, buffer))
                {
                    written++;
                    buffer.WrittenSpan.ToArray().Should().Equal(Reference(message), "character {0}", (int)c);
                }
                else
                {
                    buffer.WrittenCount.Should().Be(0);
                }
            }
        }

        // Printable ASCII but the quote and the backslash: 93 characters, in 3 places each.
        written.Should().Be(93 * 3);
    }

    [Fact]
    public void ALongValue_GetsRoomForAllOfIt()
    {
        var message = new UserMessage(MessageType.Login, 1, DateTimeOffset.UnixEpoch, new string('a', 5_000), new string('u', 3_000),
            [new UserAttribute(new string('n', 200), new string('v', 50_000)), new UserAttribute("n", long.MinValue)]);
        var buffer = new ByteBufferWriter(16);

        PlainMessageJson.TryAppend(message, buffer).Should().BeTrue();
        buffer.WrittenSpan.ToArray().Should().Equal(Reference(message));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public void TheLongestFixedPartsAndValues_GetRoomForAllOfThem(int attributeCount)
    {
        // The room is checked once, up front: the latest timestamp, ids written as null, and as many attributes as a batch
        // message may have, each with the longest value written directly (a stored Int128.MinValue: 40 characters).
        var attributes = Enumerable.Range(0, attributeCount)
            .Select(i => new UserAttribute("n" + i, new NumberText("-170141183460469231731687303715884105728")))
            .ToArray();
        var message = new UserMessage(MessageType.Update, long.MaxValue, DateTimeOffset.MaxValue, null, null, attributes);
        var buffer = new ByteBufferWriter(16);

        PlainMessageJson.TryAppend(message, buffer).Should().BeTrue();
        buffer.WrittenSpan.ToArray().Should().Equal(Reference(message));
    }

    [Fact]
    public void AnEmptyNumberTextOrANullName_IsLeftToTheWriter()
    {
        // Neither is ever produced (stored numbers are read back from their JSON text, names are validated), but the
        // direct path must not write "value":} or fail where the writer decides.
        UserMessage[] messages =
        [
            new(MessageType.Update, 7, DateTimeOffset.UnixEpoch, "anon", "user", [new UserAttribute("n", new NumberText(string.Empty))]),
            new(MessageType.Update, 7, DateTimeOffset.UnixEpoch, "anon", "user", [new UserAttribute(null!, "v")]),
        ];
        foreach (var message in messages)
        {
            var buffer = new ByteBufferWriter(16);
            PlainMessageJson.TryAppend(message, buffer).Should().BeFalse();
            buffer.WrittenCount.Should().Be(0);
        }
    }

    [Fact]
    public void AStoredNumberOfUpToAThousandDigits_IsWrittenInFull()
    {
        // A BigInteger may have 1,000 digits (NumberLimits): read back from storage, or held for a login, it is its JSON
        // text, longer than the room an attribute is given up front, and left to the writer.
        var message = new UserMessage(MessageType.Update, 7, DateTimeOffset.UnixEpoch, "anon", "user",
            [new UserAttribute("n", new NumberText("-" + new string('9', 1_000))), new UserAttribute("m", new NumberText(new string('1', 41)))]);
        var buffer = new ByteBufferWriter(16);

        MessageJsonWriter.Append(message, buffer);

        buffer.WrittenSpan.ToArray().Should().Equal(Reference(message));
    }

    [Fact]
    public void NamesWrittenBefore_AreWrittenAgainAsTheWriterWritesThem_WhateverTheirValuesKindSlotOrInstance()
    {
        // A few names sent over and over, as applications do; names alike in length, first and last character share a slot
        // of the kept openings, and the same name comes as another string instance too, with every kind of value.
        string[] names = ["city", "cixy", "ciay", "plan", "subscriptionType", "totalPurchaseTillNow", "c", "cy"];
        object[] values = ["Pune", 42, 7L, true, false, new DateTime(2025, 3, 14, 9, 26, 53, DateTimeKind.Utc), new NumberText("1.5")];
        var random = new Random(Seed + 2);
        for (var i = 0; i < 3_000; i++)
        {
            var attributes = Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => names[random.Next(names.Length)])
                .Distinct()
                .Select(name => new UserAttribute(random.Next(2) == 0 ? name : new string(name.ToCharArray()), values[random.Next(values.Length)]))
                .ToArray();
            var message = new UserMessage(MessageType.Update, i, DateTimeOffset.UnixEpoch, "anon", null, attributes);
            var buffer = new ByteBufferWriter(16);

            PlainMessageJson.TryAppend(message, buffer).Should().BeTrue();
            buffer.WrittenSpan.ToArray().Should().Equal(Reference(message), "message {0}", i);
        }
    }

    [Fact]
    public void ANameToEscape_InTheSlotOfANameWrittenBefore_IsLeftToTheWriter()
    {
        // "c\\y" (a backslash between two letters) falls in the slot of "cay": same length, same first and last character.
        var plain = new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("cay", "x")]);
        var escaped = new UserMessage(MessageType.Update, 2, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("c\\y", "x")]);
        // Written often enough to take the slot whatever held it before (a slot changes hands after several misses).
        for (var i = 0; i < 10; i++)
        {
            var buffer = new ByteBufferWriter(16);
            PlainMessageJson.TryAppend(plain, buffer).Should().BeTrue();
            buffer.WrittenSpan.ToArray().Should().Equal(Reference(plain));
        }

        var second = new ByteBufferWriter(16);
        PlainMessageJson.TryAppend(escaped, second).Should().BeFalse();
        second.WrittenCount.Should().Be(0);

        var third = new ByteBufferWriter(16);
        PlainMessageJson.TryAppend(plain, third).Should().BeTrue("the plain name is written as before");
        third.WrittenSpan.ToArray().Should().Equal(Reference(plain));
    }

    [Fact]
    public void NamesThatNeverComeBack_DoNotCostAnOpeningEach()
    {
        // An application that makes names up (an id in each) sends each once: keeping each one's opening would allocate
        // for every attribute written, on the delivery loop.
        var messages = Enumerable.Range(0, 4_096)
            .Select(i => new UserMessage(MessageType.Update, i, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("made-up-" + i, true)]))
            .ToArray();
        var buffer = new ByteBufferWriter(1 << 20);
        PlainMessageJson.TryAppend(messages[0], buffer).Should().BeTrue();

        var written = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < messages.Length; i++)
        {
            written += PlainMessageJson.TryAppend(messages[i], buffer) ? 1 : 0;
        }

        var perMessage = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(messages.Length - 1);
        written.Should().Be(messages.Length - 1);
        perMessage.Should().BeLessThan(24, "an opening (two objects, over 100 bytes here) is kept for at most one name in several");
    }

    private static byte[] Reference(UserMessage message)
    {
        var buffer = new ByteBufferWriter(16);
        using (var writer = new Utf8JsonWriter(buffer, MessageJsonWriter.WriterOptions))
        {
            MessageJsonWriter.Write(writer, message);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static UserMessage RandomMessage(Random random, bool plainOnly)
    {
        var type = (MessageType)random.Next(3);
        var attributes = new UserAttribute[random.Next(0, 6)];
        for (var i = 0; i < attributes.Length; i++)
        {
            attributes[i] = RandomAttribute(random, plainOnly);
        }

        var timestamp = random.Next(10) switch
        {
            0 => DateTimeOffset.MinValue,
            1 => DateTimeOffset.MaxValue,
            2 or 3 or 4 => DateTimeOffset.FromUnixTimeMilliseconds(-random.Next(1_000_000)),
            _ => DateTimeOffset.FromUnixTimeMilliseconds(random.Next() * 1000L + random.Next(1000)),
        };
        var sequence = random.Next();
        var anonymousId = random.Next(4) == 0 ? null : RandomString(random, plainOnly);
        var userId = random.Next(3) == 0 ? null : RandomString(random, plainOnly);
        return random.Next(5) == 0
            ? new RestoredUserMessage(type, sequence, timestamp, anonymousId, userId, attributes, 1, RandomString(random, plainOnly))
            : new UserMessage(type, sequence, timestamp, anonymousId, userId, attributes);
    }

    private static UserAttribute RandomAttribute(Random random, bool plainOnly)
    {
        var name = RandomString(random, plainOnly);
        switch (random.Next(plainOnly ? 11 : 18))
        {
            case 0: return new UserAttribute(name, RandomString(random, plainOnly));
            case 1: return new UserAttribute(name, random.Next(2) == 0);
            case 2: return new UserAttribute(name, random.Next(int.MinValue, int.MaxValue));
            case 3: return new UserAttribute(name, ((long)random.Next() << 32) * (random.Next(2) == 0 ? -1 : 1) + random.Next());
            case 4: return new UserAttribute(name, random.Next(2) == 0 ? long.MinValue : long.MaxValue);
            case 5: return new UserAttribute(name, new NumberText(random.Next(2) == 0 ? "1.50" : "-12345678901234567890123456789"));
            case 6: return new UserAttribute(name, new DateTime(2000 + random.Next(30), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), random.Next(60), (DateTimeKind)random.Next(3)));
            case 7: return new UserAttribute(name, new DateTimeOffset(2020, 2, 29, 23, 59, 59, TimeSpan.FromMinutes(random.Next(-12 * 60, 14 * 60))));
            case 8: return new UserAttribute(name, string.Empty);
            case 9: return new UserAttribute(name, random.Next(2) == 0 ? DateTime.MinValue : DateTime.MaxValue);
            case 10: return new UserAttribute(name, new NumberText(new string('9', 40)));
            case 11: return new UserAttribute(name, random.NextDouble() * 1e10);
            case 12: return new UserAttribute(name, (decimal)random.NextDouble());
            case 13: return new UserAttribute(name, BigInteger.Pow(3, 50));
            case 14: return new UserAttribute(name, new NumberText(new string('7', 41)));
            case 15: return new UserAttribute(name, new NumberText("１２"));
            case 16: return new UserAttribute(name, (short)random.Next(short.MinValue, short.MaxValue));
            default: return new UserAttribute(name, 'x');
        }
    }

    private static string RandomString(Random random, bool plainOnly)
    {
        var length = random.Next(0, 24);
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            if (plainOnly || random.Next(80) > 0)
            {
                text.Append(PrintableAscii[random.Next(PrintableAscii.Length)]);
            }
            else
            {
                text.Append(random.Next(3) switch
                {
                    0 => AllAscii[random.Next(AllAscii.Length)].ToString(),
                    1 => NonAscii[random.Next(NonAscii.Length)],
                    _ => "\"",
                });
            }
        }

        return text.ToString();
    }
}
