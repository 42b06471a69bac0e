using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The calls' pool: a delivered message and its attribute array carry a later call, made as new; a returned message keeps
/// nothing a user sent; what the pool keeps is bounded and let go of when unused.
/// </summary>
public sealed class MessagePoolTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Return_ThenRent_GivesTheSameMessageMadeAsNew()
    {
        var pool = new MessagePool();
        var first = Rent(pool, 1, "anon-1", "user-1", "Pune");
        first.SetEstimates(200, 120);

        pool.Return(first);
        pool.KeptMessages.Should().Be(1);
        var second = pool.Rent(MessageType.Login, 2, At.AddSeconds(1), "anon-2", "user-2", [new UserAttribute("plan", "pro")]);

        second.Should().BeSameAs(first);
        second.Pooled.Should().BeTrue();
        (second.Type, second.Sequence, second.Timestamp, second.AnonymousId, second.UserId, second.Calls).Should()
            .Be((MessageType.Login, 2L, At.AddSeconds(1), "anon-2", "user-2", 1));
        second.Attributes.Should().ContainSingle().Which.Should().Be(new UserAttribute("plan", "pro"));
        (second.EstimatedBytes, second.EstimatedJsonBytes).Should().Be((0, 0), "the new call is measured again");
        second.RestoredMessageId.Should().BeNull();
        pool.KeptMessages.Should().Be(0);
    }

    [Fact]
    public void Return_LetsGoOfTheIdsAndValuesAtOnce()
    {
        var pool = new MessagePool();
        var message = Rent(pool, 1, "anon-1", "user-1", "Pune");
        var attributes = message.Attributes;

        pool.Return(message);

        (message.AnonymousId, message.UserId).Should().Be((null, null));
        message.Attributes.Should().BeEmpty();
        attributes.Should().OnlyContain(a => a.Name == null && a.Value == null, "the pooled array is cleared");
    }

    [Fact]
    public void Return_ThenRentAttributes_GivesTheSameArrayClearedForTheSameLength()
    {
        var pool = new MessagePool();
        var message = Rent(pool, 1, "anon", null, "Pune", "Mumbai");
        var array = message.Attributes;
        pool.Return(message);

        pool.KeptArrays(2).Should().Be(1);
        pool.RentAttributes(3).Should().NotBeSameAs(array, "only arrays of the length asked for are given");
        var again = pool.RentAttributes(2);
        again.Should().BeSameAs(array);
        again.Should().OnlyContain(a => a.Name == null && a.Value == null);
        pool.RentAttributes(0).Should().BeEmpty();
    }

    [Fact]
    public void Return_AMessageThePoolDidNotMake_IsLeftToTheCollector()
    {
        var pool = new MessagePool();
        var restored = new RestoredUserMessage(MessageType.Update, 0, At, "anon", null, [new UserAttribute("city", "Pune")], 1, "m-1");

        pool.Return(restored);

        pool.KeptMessages.Should().Be(0);
        pool.KeptArrays(1).Should().Be(0);
        restored.Attributes.Should().ContainSingle("a message the pool does not own is not touched");
    }

    [Fact]
    public void Return_AMessageWithMoreAttributesThanPooled_KeepsTheMessageNotItsArray()
    {
        var pool = new MessagePool();
        var many = Enumerable.Range(0, MessagePool.MostAttributes + 1).Select(i => new UserAttribute("a" + i, i)).ToArray();
        var message = pool.Rent(MessageType.Update, 1, At, "anon", null, many);

        pool.Return(message);

        pool.KeptMessages.Should().Be(1);
        pool.RentAttributes(many.Length).Should().NotBeSameAs(many);
        many.Should().OnlyContain(a => a.Name != null, "an array the pool does not keep is not cleared either");
    }

    [Fact]
    public void Return_BeyondTheBound_KeepsAtMostMostKeptMessagesAndArraysOfAllLengthsTogether()
    {
        var pool = new MessagePool();
        var messages = new List<UserMessage>();
        for (var i = 0; i < MessagePool.MostKept; i++)
        {
            messages.Add(i % 2 == 0 ? Rent(pool, i, "anon", null, "Pune") : Rent(pool, i, "anon", null, "Pune", "Mumbai"));
        }

        for (var i = 0; i < MessagePool.MostKept / 2; i++)
        {
            messages.Add(Rent(pool, i, "anon", null, "Pune", "Mumbai", "Delhi"));
        }

        foreach (var message in messages)
        {
            pool.Return(message);
        }

        pool.KeptMessages.Should().BeInRange(MessagePool.MostKept - MessagePool.ChunkSize, MessagePool.MostKept + MessagePool.ChunkSize);
        var arrays = pool.KeptArrays(1) + pool.KeptArrays(2) + pool.KeptArrays(3);
        arrays.Should().BeInRange(MessagePool.MostKept - (3 * MessagePool.ChunkSize), MessagePool.MostKept + (3 * MessagePool.ChunkSize));
    }

    [Fact]
    public void TrimUnused_LetsGoOfWhatNoCallNeededSinceTheLastTrim_KeepingSomeForQuietTimes()
    {
        var pool = new MessagePool();
        var messages = Enumerable.Range(0, 40_000).Select(i => Rent(pool, i, "anon", null, "Pune")).ToList();
        messages.ForEach(pool.Return);

        // The first trim only starts watching: every message kept was needed before it.
        pool.TrimUnused();
        pool.KeptMessages.Should().Be(40_000);

        // 30,000 taken at once and given back: only the 10,000 never taken meanwhile were not needed.
        var again = Enumerable.Range(0, 30_000).Select(i => Rent(pool, i, "anon", null, "Delhi")).ToList();
        again.ForEach(pool.Return);
        pool.TrimUnused();
        pool.KeptMessages.Should().BeInRange(30_000, 30_000 + (2 * MessagePool.ChunkSize));

        // Nothing taken since: down to what is kept when quiet.
        pool.TrimUnused();
        pool.KeptMessages.Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
        pool.KeptArrays(1).Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
    }

    [Fact]
    public void TrimUnused_ArraysOfAllLengthsTogether_KeepWhatIsKeptWhenQuiet()
    {
        var pool = new MessagePool();
        var messages = Enumerable.Range(0, 12_000).Select(i => Rent(pool, i, "anon", null, "Pune"))
            .Concat(Enumerable.Range(0, 12_000).Select(i => Rent(pool, i, "anon", null, "Pune", "Mumbai")))
            .Concat(Enumerable.Range(0, 12_000).Select(i => Rent(pool, i, "anon", null, "Pune", "Mumbai", "Delhi")))
            .ToList();
        messages.ForEach(pool.Return);

        pool.TrimUnused();
        pool.TrimUnused();

        var arrays = pool.KeptArrays(1) + pool.KeptArrays(2) + pool.KeptArrays(3);
        arrays.Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + (3 * MessagePool.ChunkSize));
        pool.KeptArrays(1).Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize, "the shorter first");
        pool.KeptMessages.Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
    }

    [Fact]
    public void TrimToQuiet_LetsGoOfEverythingBeyondWhatIsKeptWhenQuiet_EvenWhatWasJustUsed()
    {
        var pool = new MessagePool();
        var messages = Enumerable.Range(0, 30_000).Select(i => Rent(pool, i, "anon", null, "Pune")).ToList();
        pool.TrimUnused();
        messages.ForEach(pool.Return);

        pool.TrimToQuiet();

        pool.KeptMessages.Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
        pool.KeptArrays(1).Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
    }

    [Fact]
    public void Return_OfAMessageRentedAgain_KeepsItAgain_AndItsNextCallIsNotAwaited()
    {
        // An UpdateAsync's message (awaited: with storage it waits for room instead of dropping older ones) carries a
        // fire-and-forget call next, which must not wait for room; and it goes back to the pool after that call too.
        var pool = new MessagePool();
        var message = Rent(pool, 1, null, "user-1", "Pune");
        message.Awaited = true;
        pool.Return(message);

        var second = Rent(pool, 2, "anon", null, "Delhi");
        second.Should().BeSameAs(message);
        second.Awaited.Should().BeFalse("a Push is not a call that waits for room");
        pool.Return(second);

        pool.KeptMessages.Should().Be(1, "a message made to carry a call goes back once that call is delivered");
        (second.AnonymousId, second.UserId, second.Attributes.Length).Should().Be((null, null, 0));
        Rent(pool, 3, "anon", null, "Goa").Should().BeSameAs(message);
    }

    [Fact]
    public void Return_Twice_KeepsTheMessageOnce()
    {
        var pool = new MessagePool();
        var message = Rent(pool, 1, "anon", null, "Pune");

        pool.Return(message);
        pool.Return(message);

        pool.KeptMessages.Should().Be(1);
        var first = Rent(pool, 2, "anon", null, "Pune");
        var second = Rent(pool, 3, "anon", null, "Pune");
        first.Should().BeSameAs(message);
        second.Should().NotBeSameAs(message, "one message never carries two calls at once");
    }

    [Fact]
    public void Shared_OnOneThread_ReusesWhatThatThreadGaveBack()
    {
        UserMessage? first = null, second = null;
        UserAttribute[]? firstArray = null, secondArray = null;

        // A new thread: its chunks start empty and no other test uses them.
        OnNewThread(() =>
        {
            var pool = MessagePool.Shared;
            first = pool.Rent(MessageType.Update, 1, At, "anon", null, pool.RentAttributes(1));
            firstArray = first.Attributes;
            pool.Return(first);
            secondArray = pool.RentAttributes(1);
            second = pool.Rent(MessageType.Update, 2, At, "anon", null, secondArray);
        });

        second.Should().BeSameAs(first);
        secondArray.Should().BeSameAs(firstArray);
    }

    [Fact]
    public void ThreadCaches_FullChunksMoveThroughTheShelf_ToAnotherThread()
    {
        var pool = new MessagePool(threadCaches: true);
        var given = new List<UserMessage>();
        var taken = new List<UserMessage>();

        // One thread gives back 200: three full chunks go to the shelf, 8 stay in the thread's own chunk.
        OnNewThread(() =>
        {
            given.AddRange(Enumerable.Range(0, 200).Select(i => Rent(pool, i, "anon", null, "Pune")));
            given.ForEach(pool.Return);
        });
        pool.KeptMessages.Should().Be(3 * MessagePool.ChunkSize);
        pool.KeptArrays(1).Should().Be(3 * MessagePool.ChunkSize);

        // Another takes them chunk by chunk; the next call finds none and makes a new message.
        OnNewThread(() => taken.AddRange(Enumerable.Range(0, (3 * MessagePool.ChunkSize) + 1).Select(i => Rent(pool, i, "anon", null, "Delhi"))));

        pool.KeptMessages.Should().Be(0);
        taken.Take(3 * MessagePool.ChunkSize).Should().OnlyContain(m => given.Contains(m)).And.OnlyHaveUniqueItems();
        given.Skip(3 * MessagePool.ChunkSize).Should().NotIntersectWith(taken, "the first thread's own chunk stays with it");
        given.Should().NotContain(taken[^1]);
        taken.Should().OnlyContain(m => m.Attributes.Single().Value as string == "Delhi");
    }

    [Fact]
    public void ThreadCaches_WithNothingKept_CallsMakeTheirOwnWithoutGoingToTheShelves()
    {
        var pool = new MessagePool(threadCaches: true);

        // A burst beyond anything delivered: every call makes its message and array, and none takes the shelves' lock.
        var made = new List<UserMessage>();
        OnNewThread(() => made.AddRange(Enumerable.Range(0, 1_000).Select(i => Rent(pool, i, "anon", null, "Pune"))));
        pool.ShelfVisits.Should().Be(0);
        made.Should().OnlyHaveUniqueItems().And.OnlyContain(m => m.Pooled);

        // Three full chunks of each kind given back: a taker goes to each shelf once per chunk, once more to hand over
        // the chunk it emptied last, and not again for the calls after that.
        OnNewThread(() => Enumerable.Range(0, 200).Select(i => Rent(pool, i, "anon", null, "Pune")).ToList().ForEach(pool.Return));
        var taken = new List<UserMessage>();
        OnNewThread(() => taken.AddRange(Enumerable.Range(0, (3 * MessagePool.ChunkSize) + 100).Select(i => Rent(pool, i, "anon", null, "Delhi"))));

        pool.ShelfVisits.Should().Be(2 * 4);
        pool.KeptMessages.Should().Be(0);
        taken.Should().OnlyHaveUniqueItems().And.OnlyContain(m => m.Attributes.Single().Value as string == "Delhi");
    }

    [Fact]
    public void ThreadCaches_ChunksBeyondTheBound_AreLetGoAndTheBudgetComesBack()
    {
        var pool = new MessagePool(threadCaches: true);
        OnNewThread(() =>
        {
            var many = Enumerable.Range(0, MessagePool.MostKept + (10 * MessagePool.ChunkSize)).Select(i => Rent(pool, i, "anon", null, "Pune")).ToList();
            many.ForEach(pool.Return);
        });
        pool.KeptMessages.Should().Be(MessagePool.MostKept);
        pool.KeptArrays(1).Should().Be(MessagePool.MostKept);

        // Taken and trimmed: the budget the chunks held is free again, so the shelf fills to the bound once more.
        OnNewThread(() =>
        {
            var again = Enumerable.Range(0, MessagePool.MostKept).Select(i => Rent(pool, i, "anon", null, "Pune")).ToList();
            pool.KeptMessages.Should().Be(0);
            pool.TrimUnused();
            again.ForEach(pool.Return);
        });
        pool.KeptMessages.Should().Be(MessagePool.MostKept - MessagePool.ChunkSize, "the last chunk given back stays with its thread");
    }

    private static void OnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("The test's thread failed.", failure);
        }
    }

    private static UserMessage Rent(MessagePool pool, long sequence, string? anonymousId, string? userId, params string[] cities)
    {
        var attributes = pool.RentAttributes(cities.Length);
        for (var i = 0; i < cities.Length; i++)
        {
            attributes[i] = new UserAttribute("city" + i, cities[i]);
        }

        return pool.Rent(MessageType.Update, sequence, At, anonymousId, userId, attributes);
    }
}
